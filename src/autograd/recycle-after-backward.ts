import type { Tensor } from '../tensor/tensor.js';

/**
 * Hand `input`'s storage to the node that made `output`, which read it: once that node's backward
 * has run (without retainGraph), the engine gives the storage back to the pool and marks `input`
 * released. For an intermediate a fused layer makes and passes to one op only, never to the
 * caller or a hook — a convolution's output inside conv → batch norm. PyTorch frees such a tensor
 * when the last saved reference goes; here a `recycleTensors` scope (or the collector's lag)
 * would hold it over the whole backward pass, while the gradients of the layers below, of the
 * same shapes, are allocated afresh beside it. The caller vouches that nothing else reads it.
 *
 * Does nothing, and returns false, when `output` has no node (no gradient flows) or `input` is not
 * one of that node's inputs (a hooked or unfused layer ran another op): releasing it after some
 * other op's backward could free it before its real reader has run.
 */
export function recycleAfterBackward(output: Tensor, input: Tensor): boolean {
  const node = output.gradFn;
  if (!node || !node.inputs.includes(input.gradFn ?? input)) return false;
  if (input.isLeaf && input.requiresGrad) return false; // a parameter or the caller's tensor
  (node.ownedInputs ??= []).push(input);
  return true;
}
