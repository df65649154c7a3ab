import type { Backend, ChannelAffine, Conv2dParams, Shape } from '../backend.js';
import type { Lane, MapInArena, WasmContext } from './arena.js';
import { convGeometry, type ConvGeometry as Geometry } from '../conv-geometry.js';
import { inputsByTask, MAX_SUM_TASKS, outputsByTask, shareOf, taskCount, unitElements, type Input, type Output } from './tasks.js';

/**
 * Convolution as im2col + SIMD GEMM (Chellapilla et al. 2006), the same decomposition as the
 * TypeScript reference (src/backend/ts/conv2d.ts), per image and per group:
 *
 *   forward:          y_g (O/g, OH·OW)         = W_g (O/g, patch) · cols (patch, OH·OW)
 *   backward input:   dcols (patch, OH·OW)     = W_gᵀ · dy_g, then col2im adds dcols into dx
 *   backward weight:  dW_g (O/g, patch)       += dy_g · colsᵀ, summed over the batch
 *
 * with patch = C/g·KH·KW. The transposes are strides handed to the GEMM's packing step. The
 * columns, the packed panels and all operands live in the arena for the whole call, so the
 * only copies are the inputs in and the result out, each task's images as it starts and ends.
 *
 * An `input` map (a batch norm and its ReLU, ChannelAffine) runs on each image as it is read,
 * into the task's own scratch, by the kernel batch norm's forward uses (channelAffine): x' is
 * the same bits as batch norm's output and is never stored outside the arena.
 */
export function makeConv2d({ kernels, arena, parallel }: WasmContext): Pick<Backend, 'conv2dForward' | 'conv2dBackwardInput' | 'conv2dBackwardWeight'> {
  // (x planes → cols) and (cols → dx planes, accumulating) on a lane, with the geometry spelled out.
  const columns = (kernel: 'im2col' | 'col2im') => (lane: Lane, source: number, g: Geometry, target: number): void => {
    const p = g.params;
    lane.call(
      kernel, source, g.groupIn, g.height, g.width, g.kernelHeight, g.kernelWidth, p.stride[0], p.stride[1],
      p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], g.outHeight, g.outWidth, target,
    );
  };
  const im2col = columns('im2col');
  const col2im = columns('col2im');
  /**
   * Tasks take contiguous runs of images (taskCount: by the shapes only, so the bits do not
   * depend on the thread count); each lane has its own columns and GEMM workspace, which the
   * tasks it runs share (laneScratch).
   */
  const tasksFor = (g: Geometry, most?: number): number =>
    taskCount(g.batch, g.batch * g.groups * g.groupOut * g.patch * g.outHeight * g.outWidth, most);
  const scratch = (g: Geometry, planeOut: number, mapped = false): { cols: number; work: number; image: number }[] =>
    Array.from({ length: parallel.lanes }, () => ({
      cols: g.pointwise ? 0 : arena.take(g.patch * planeOut),
      work: arena.take(kernels.gemmWorkspaceFloats()),
      image: mapped ? arena.take(g.inChannels * g.height * g.width) : 0,
    }));
  /**
   * Image n of x (at xAt) as the convolution reads it: x itself, or input(x) written into the
   * task's scratch image (map: the arena copy of the map's mean, scale and shift).
   */
  const readImage = (lane: Lane, g: Geometry, xAt: number, image: number, map: MapInArena | null): number => {
    if (!map) return xAt;
    lane.call('channelAffine', xAt, image, 1, g.inChannels, g.height * g.width, map.mean, map.scale, map.shift, map.relu ? 1 : 0);
    return image;
  };

  /** Each task's images of the inputs (images of `imageIn` floats) copied in as it starts. */
  const imagesIn = (batch: number, imageIn: number, tasks: number, inputs: readonly Input[]) =>
    inputsByTask(arena, batch * imageIn, unitElements(batch, imageIn, tasks), inputs);
  /** Each task's images of the result (images of `imageOut` floats) copied out as soon as it is done. */
  const imagesOut = (batch: number, imageOut: number, tasks: number, outputs: readonly Output[]) =>
    outputsByTask(arena, batch * imageOut, unitElements(batch, imageOut, tasks), outputs);

  function conv2dForward(
    x: Float32Array, xShape: Shape, w: Float32Array, wShape: Shape, bias: Float32Array | null,
    params: Conv2dParams, out: Float32Array, outShape: Shape, input?: ChannelAffine | null,
  ): void {
    const g = convGeometry(xShape, wShape, outShape, params);
    const planeIn = g.height * g.width;
    const planeOut = g.outHeight * g.outWidth;
    arena.reset();
    const px = arena.take(x.length);
    const pw = arena.input(w);
    const pout = arena.take(out.length);
    const map = input ? arena.inputMap(input) : null;
    const tasks = tasksFor(g);
    const own = scratch(g, planeOut, map !== null);
    parallel.run(tasks, (lane, task) => {
      const { cols: pcols, work, image } = own[lane.index]!;
      const [first, end] = shareOf(g.batch, tasks, task);
      for (let n = first; n < end; n++) {
        const imageAt = readImage(lane, g, px + 4 * n * g.inChannels * planeIn, image, map);
        for (let group = 0; group < g.groups; group++) {
          const xAt = imageAt + 4 * group * g.groupIn * planeIn;
          const outAt = pout + 4 * (n * g.outChannels + group * g.groupOut) * planeOut;
          const cols = g.pointwise ? xAt : pcols;
          if (!g.pointwise) im2col(lane, xAt, g, pcols);
          // (O/g, OH·OW) = (O/g, patch) · (patch, OH·OW)
          lane.call('gemm', g.groupOut, planeOut, g.patch, pw + 4 * group * g.groupOut * g.patch, g.patch, 1, cols, planeOut, 1, outAt, 0, work);
        }
      }
    }, {
      prepare: imagesIn(g.batch, g.inChannels * planeIn, tasks, [[px, x]]),
      finish: bias ? undefined : imagesOut(g.batch, g.outChannels * planeOut, tasks, [[pout, out]]),
      laneScratch: true,
    });
    if (bias) {
      kernels.addChannelBias(pout, g.batch, g.outChannels, planeOut, arena.input(bias));
      arena.output(pout, out);
    }
  }

  function conv2dBackwardInput(
    dy: Float32Array, dyShape: Shape, w: Float32Array, wShape: Shape,
    params: Conv2dParams, dx: Float32Array, dxShape: Shape,
  ): void {
    const g = convGeometry(dxShape, wShape, dyShape, params);
    const planeIn = g.height * g.width;
    const planeOut = g.outHeight * g.outWidth;
    const dxLength = g.batch * g.inChannels * planeIn;
    arena.reset();
    const pdy = arena.take(dy.length);
    const pw = arena.input(w);
    // col2im accumulates, and positions no window touches must end up 0: each task clears its
    // own images first.
    const pdx = arena.take(dxLength);
    const tasks = tasksFor(g);
    const own = scratch(g, planeOut);
    parallel.run(tasks, (lane, task) => {
      const { cols: pcols, work } = own[lane.index]!;
      const [first, end] = shareOf(g.batch, tasks, task);
      if (!g.pointwise) lane.call('fillZeros', pdx + 4 * first * g.inChannels * planeIn, (end - first) * g.inChannels * planeIn);
      for (let n = first; n < end; n++) {
        for (let group = 0; group < g.groups; group++) {
          const dxAt = pdx + 4 * (n * g.inChannels + group * g.groupIn) * planeIn;
          const dyAt = pdy + 4 * (n * g.outChannels + group * g.groupOut) * planeOut;
          const target = g.pointwise ? dxAt : pcols;
          // (patch, OH·OW) = W_gᵀ · dy_g: W_g is stored (O/g, patch), so A(r, o) = w[o·patch + r].
          lane.call('gemm', g.patch, planeOut, g.groupOut, pw + 4 * group * g.groupOut * g.patch, 1, g.patch, dyAt, planeOut, 1, target, 0, work);
          if (!g.pointwise) col2im(lane, pcols, g, dxAt);
        }
      }
    }, {
      prepare: imagesIn(g.batch, g.outChannels * planeOut, tasks, [[pdy, dy]]),
      finish: imagesOut(g.batch, g.inChannels * planeIn, tasks, [[pdx, dx.subarray(0, dxLength)]]),
      laneScratch: true,
    });
  }

  function conv2dBackwardWeight(
    x: Float32Array, xShape: Shape, dy: Float32Array, dyShape: Shape,
    params: Conv2dParams, dw: Float32Array, dwShape: Shape, input?: ChannelAffine | null,
  ): void {
    const g = convGeometry(xShape, dwShape, dyShape, params);
    const planeIn = g.height * g.width;
    const planeOut = g.outHeight * g.outWidth;
    const dwLength = g.outChannels * g.patch;
    arena.reset();
    const px = arena.take(x.length);
    const pdy = arena.take(dy.length);
    const tasks = tasksFor(g, MAX_SUM_TASKS);
    // One dw per task, zeroed so that an empty batch adds 0; the partial sums are added together
    // in task order at the end, so the sum is the same whichever lane ran which task.
    const partial = Array.from({ length: tasks }, () => arena.takeZeroed(dwLength));
    const map = input ? arena.inputMap(input) : null;
    const own = scratch(g, planeOut, map !== null);
    const xIn = imagesIn(g.batch, g.inChannels * planeIn, tasks, [[px, x]])!;
    const dyIn = imagesIn(g.batch, g.outChannels * planeOut, tasks, [[pdy, dy]])!;
    parallel.run(tasks, (lane, task) => {
      const { cols: pcols, work, image } = own[lane.index]!;
      const [first, end] = shareOf(g.batch, tasks, task);
      for (let n = first; n < end; n++) {
        const imageAt = readImage(lane, g, px + 4 * n * g.inChannels * planeIn, image, map);
        for (let group = 0; group < g.groups; group++) {
          const xAt = imageAt + 4 * group * g.groupIn * planeIn;
          const dyAt = pdy + 4 * (n * g.outChannels + group * g.groupOut) * planeOut;
          const cols = g.pointwise ? xAt : pcols;
          if (!g.pointwise) im2col(lane, xAt, g, pcols);
          // (O/g, patch) += (O/g, OH·OW) · colsᵀ: B(q, r) = cols[r·OH·OW + q].
          lane.call('gemm', g.groupOut, g.patch, planeOut, dyAt, planeOut, 1, cols, 1, planeOut, partial[task]! + 4 * group * g.groupOut * g.patch, 1, work);
        }
      }
    }, {
      prepare: (task) => {
        xIn(task);
        dyIn(task);
      },
      laneScratch: true,
    });
    for (let task = 1; task < tasks; task++) kernels.axpy(1, partial[task]!, partial[0]!, dwLength);
    arena.output(partial[0]!, dw.subarray(0, dwLength));
  }

  return { conv2dForward, conv2dBackwardInput, conv2dBackwardWeight };
}
