export type { Batch, BatchSource } from './batches.js';
export { readCheckpoint, writeCheckpoint, trainingStateSchema, type TrainingState } from './checkpoint.js';
export { evaluateClassifier, type EvaluationResult } from './evaluate.js';
export { clipGradNorm, gradientNorms } from './gradient-clipping.js';
export { binaryCrossEntropyWithLogits, crossEntropy, diceLoss } from './losses.js';
export { accuracy, argmaxRows, correctCount, segmentationScores, topKAccuracy } from './metrics.js';
export { RunDirectory, RunStoreError, metricsRecordSchema, runSummarySchema, type MetricsRecord, type RunSummary } from './run-store.js';
export { constantLr, cosineLr, heCifarSchedule, linearWarmup, multiStepLr, type LrSchedule } from './schedules.js';
export { Trainer, TrainingDivergedError, type EpochReport, type StepReport, type TrainerCallback, type TrainerOptions, type TrainResult } from './trainer.js';
