import type { Backend, Shape } from '../backend.js';
import type { WasmContext } from './arena.js';
import { ELEMENT_WORK, inputsByTask, outputsByTask, shareOf, taskCount, unitElements } from './tasks.js';

/** Pooling with PyTorch's window arithmetic (floor mode), as src/backend/ts/pool.ts. */
function planes(xShape: Shape, yShape: Shape): [number, number, number, number, number] {
  return [xShape[0]! * xShape[1]!, xShape[2]!, xShape[3]!, yShape[2]!, yShape[3]!];
}

type PoolKernels = Pick<Backend,
  'maxPool2dForward' | 'maxPool2dBackward' | 'avgPool2dForward' | 'avgPool2dBackward' |
  'adaptiveAvgPool2dForward' | 'adaptiveAvgPool2dBackward'>;

export function makePool({ kernels, arena, parallel }: WasmContext): PoolKernels {
  /** One entry for avg and adaptive avg, forward and backward (the AssemblyScript kernel's modes). */
  const average = (
    x: Float32Array, xShape: Shape, y: Float32Array, yShape: Shape, backward: boolean, adaptive: boolean,
    kernel: readonly [number, number], stride: readonly [number, number], padding: readonly [number, number], countIncludePad: boolean,
  ): void => {
    const [count, height, width, outHeight, outWidth] = planes(xShape, yShape);
    const [planeIn, planeOut] = [height * width, outHeight * outWidth];
    const xLength = count * planeIn;
    arena.reset();
    const px = arena.take(xLength);
    const py = arena.take(y.length);
    // Planes are independent: each task takes whole planes, its inputs copied in as it starts
    // and its results out as it ends.
    const tasks = taskCount(count, (xLength + y.length) * ELEMENT_WORK);
    const xPlanes = unitElements(count, planeIn, tasks);
    const yPlanes = unitElements(count, planeOut, tasks);
    parallel.run(tasks, (lane, task) => {
      const [first, end] = shareOf(count, tasks, task);
      lane.call(
        'avgPool2d', px + 4 * first * planeIn, end - first, height, width, outHeight, outWidth, kernel[0], kernel[1], stride[0], stride[1],
        padding[0], padding[1], countIncludePad ? 1 : 0, adaptive ? 1 : 0, backward ? 1 : 0, py + 4 * first * planeOut,
      );
    }, backward ? {
      prepare: inputsByTask(arena, y.length, yPlanes, [[py, y]]),
      finish: outputsByTask(arena, xLength, xPlanes, [[px, x.subarray(0, xLength)]]),
    } : {
      prepare: inputsByTask(arena, xLength, xPlanes, [[px, x.subarray(0, xLength)]]),
      finish: outputsByTask(arena, y.length, yPlanes, [[py, y]]),
    });
  };
  const none = [0, 0] as const;
  return {
    maxPool2dForward(x, xShape, p, out, outShape, argmax) {
      const [count, height, width, outHeight, outWidth] = planes(xShape, outShape);
      arena.reset();
      const px = arena.input(x);
      const pout = arena.take(out.length);
      const pargmax = arena.take(argmax.length);
      kernels.maxPool2dForward(
        px, count, height, width, outHeight, outWidth, p.kernelSize[0], p.kernelSize[1], p.stride[0], p.stride[1],
        p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], pout, pargmax,
      );
      arena.output(pout, out);
      arena.outputInt(pargmax, argmax);
    },
    maxPool2dBackward(dy, argmax, dx) {
      arena.reset();
      const pdy = arena.input(dy);
      const pargmax = arena.inputInt(argmax);
      const pdx = arena.take(dx.length);
      kernels.maxPool2dBackward(pdy, pargmax, dy.length, pdx, dx.length);
      arena.output(pdx, dx);
    },
    avgPool2dForward: (x, xShape, p, out, outShape) =>
      average(x, xShape, out, outShape, false, false, p.kernelSize, p.stride, p.padding, p.countIncludePad),
    avgPool2dBackward: (dy, dyShape, p, dx, dxShape) =>
      average(dx, dxShape, dy, dyShape, true, false, p.kernelSize, p.stride, p.padding, p.countIncludePad),
    adaptiveAvgPool2dForward: (x, xShape, out, outShape) => average(x, xShape, out, outShape, false, true, none, none, none, false),
    adaptiveAvgPool2dBackward: (dy, dyShape, dx, dxShape) => average(dx, dxShape, dy, dyShape, true, true, none, none, none, false),
  };
}
