import { z } from 'zod';
import { analysisResultsSchema } from './header.js';

export const segmentationScoresSchema = z.strictObject({
  epoch: z.number().int().positive(),
  iou: z.number(),
  dice: z.number(),
  foregroundIou: z.number(),
  /** Accuracy on pixels with a differently labelled 4-neighbour, where the long skips should help. */
  boundaryAccuracy: z.number(),
  /** Accuracy on the other pixels: the baseline that says whether a gain is specific to boundaries. */
  interiorAccuracy: z.number(),
});

/** Ronneberger et al. 2015: U-Net with and without its long skips on digit segmentation, per epoch, with example masks. */
export const unetSkipsResultsSchema = analysisResultsSchema('unet-skips', {
  /** Canvas side in pixels. */
  size: z.number().int().positive(),
  levels: z.number().int().positive(),
  models: z.array(z.strictObject({
    name: z.string(),
    skip: z.enum(['concat', 'none']),
    parameters: z.number().int(),
    epochs: z.array(segmentationScoresSchema.extend({ trainLoss: z.number() })),
    /** Predicted masks (row-major 0/1) of the first test canvases after the last epoch. */
    masks: z.array(z.array(z.number().int())),
  })).min(1),
  examples: z.array(z.strictObject({ image: z.array(z.number().int()), target: z.array(z.number().int()) })),
});
export type UnetSkipsResults = z.infer<typeof unetSkipsResultsSchema>;
