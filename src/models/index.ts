export { createModel, listModels, modelNames, type ModelInfo, type ModelOptionName, type ModelOptions } from './registry.js';
export { initLikeTorchvision, SkipModel } from './skip-model.js';
export { NamedSequential } from './named-sequential.js';
export { ResNetCifar, resnetCifar, type ResNetCifarOptions } from './resnet-cifar.js';
export { ResNet, resnet18, resnet34, resnet50, resnet101, resnet152, type ResNetOptions } from './resnet.js';
export { DenseNet, densenet121, densenet169, densenetBcCifar, type DenseNetOptions } from './densenet.js';
export { ConvHighwayNet, HighwayNetFC, type ConvHighwayNetOptions, type HighwayNetOptions } from './highway-net.js';
export { UNet, type UNetOptions } from './unet.js';
export { TransformerClassifier, type TransformerClassifierOptions } from './transformer.js';
