/** PyTorch's torch.nn.functional, in camelCase. */
export {
  adaptiveAvgPool2d, avgPool2d, batchNorm, batchNormRelu, conv2d, convTranspose2d, crossEntropy, dropout, embedding, gelu,
  layerNorm, linear, logSoftmax, maxPool2d, pad, relu, sigmoid, softmax, tanh,
} from '../autograd/functions/index.js';
