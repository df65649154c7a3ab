/** Messages between the page and the training worker of example 6. */
export interface TrainRequest {
  steps: number;
  batchSize: number;
}

export type Progress =
  | { kind: 'step'; step: number; loss: number }
  | { kind: 'done'; backend: string; testAccuracy: number };
