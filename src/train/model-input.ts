import type { DatasetShape } from '../data/registry.js';
import { listModels, type ModelOptionName, type ModelOptions } from '../models/registry.js';
import { ConfigError } from './config.js';

/**
 * The model options that carry the data's shape into a model: channels, classes, image height
 * and width, or the flattened feature count — each one the model accepts. A config may repeat a
 * value, but one that contradicts the data (an MLP sized for 28x28 on 32x32 CIFAR-10 images) is
 * refused here, naming the option, instead of failing as a shape error inside a layer.
 */
export function modelOptionsForData(model: string, given: Record<string, unknown>, data: DatasetShape, source = 'config'): ModelOptions {
  const info = listModels().find((m) => m.name === model);
  if (!info) return { ...given } as ModelOptions; // createModel names the unknown model
  const accepts = (option: ModelOptionName): boolean => info.options.includes(option);
  const fromData: Partial<Record<ModelOptionName, number>> = {};
  if (accepts('inChannels')) fromData.inChannels = data.channels;
  if (accepts('numClasses')) fromData.numClasses = data.numClasses;
  if (accepts('inFeatures')) fromData.inFeatures = data.channels * data.height * data.width;
  if (accepts('imageSize')) fromData.imageSize = data.height;
  if (accepts('imageWidth')) fromData.imageWidth = data.width;
  else if (accepts('imageSize') && data.height !== data.width) {
    throw new ConfigError(`${source} is invalid: model '${model}' takes square images only, the data's are ${data.height}x${data.width}`);
  }
  for (const [option, value] of Object.entries(fromData)) {
    if (given[option] !== undefined && given[option] !== value) {
      throw new ConfigError(`${source} is invalid: modelOptions.${option} is ${JSON.stringify(given[option])} but the data's ${option} is ${value} (${data.channels}x${data.height}x${data.width} images, ${data.numClasses} classes); leave it out, it is taken from the data`);
    }
  }
  return { ...given, ...fromData } as ModelOptions;
}
