export { createModel, listModels, modelNames, type ModelInfo, type ModelOptionName, type ModelOptions } from './registry.js';
export { initLikeTorchvision, SkipModel } from './skip-model.js';
export { ResNetCifar, resnetCifar, type ResNetCifarOptions } from './resnet-cifar.js';
