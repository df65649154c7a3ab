import type { Backend, BinaryOp, Shape, UnaryOp } from '../backend.js';
import { typescriptBackend } from '../ts/index.js';
import type { Lane, WasmContext } from './arena.js';
import { ELEMENT_WORK, type Input, type Output, outputsByTask, runByElements, shareOf, taskCount, unitElements } from './tasks.js';

/** Op codes: the index here is the constant of the same name in wasm/assembly/elementwise.ts. */
export const UNARY_OPS: readonly UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'abs', 'square', 'reciprocal', 'relu', 'gelu', 'sigmoid', 'tanh'];
const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
const unaryCode = new Map(UNARY_OPS.map((op, i) => [op, i]));
/** Backward formulas written with y = f(x) (wasm/assembly/elementwise.ts); the others read only x. */
const USES_Y: ReadonlySet<UnaryOp> = new Set(['exp', 'sqrt', 'reciprocal', 'sigmoid', 'tanh']);
const binaryCode = new Map(BINARY_OPS.map((op, i) => [op, i]));

/** The kernel's broadcast box has four dimensions. */
const MAX_RANK = 4;

/**
 * A broadcast as (sizes, a strides, b strides) with size-1 dimensions dropped and neighbours
 * merged wherever both operands stay contiguous across them: (N, C, H, W) + (1, C, 1, 1)
 * becomes (N, C, H·W) with b strides (0, 1, 0). Element strides; 0 on broadcast dimensions.
 */
export function collapseBroadcast(aShape: Shape, bShape: Shape, outShape: Shape): { sizes: number[]; a: number[]; b: number[] } {
  const rank = outShape.length;
  const stridesOf = (shape: Shape): number[] => {
    const strides = new Array<number>(rank).fill(0);
    let s = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      strides[rank - shape.length + i] = shape[i] === 1 ? 0 : s;
      s *= shape[i]!;
    }
    return strides;
  };
  const sa = stridesOf(aShape);
  const sb = stridesOf(bShape);
  const sizes: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rank; i++) {
    const size = outShape[i]!;
    if (size === 1) continue;
    const last = sizes.length - 1;
    if (last >= 0 && a[last] === sa[i]! * size && b[last] === sb[i]! * size) {
      sizes[last] = sizes[last]! * size;
      a[last] = sa[i]!;
      b[last] = sb[i]!;
    } else {
      sizes.push(size);
      a.push(sa[i]!);
      b.push(sb[i]!);
    }
  }
  return { sizes, a, b };
}

export function makeElementwise({ arena, parallel }: WasmContext): Pick<Backend, 'unary' | 'unaryBackward' | 'binary' | 'affine' | 'axpy'> {
  // Each task's range of `inputs` is copied in just before it may start, of `outputs` back as soon as it is done.
  const byElements = (n: number, call: (lane: Lane, first: number, count: number) => void, outputs: readonly Output[], inputs: readonly Input[]): void =>
    runByElements(parallel, arena, n, call, outputs, inputs);
  return {
    unary(op, x, out) {
      arena.reset();
      const px = arena.take(x.length);
      const pout = arena.take(out.length);
      const code = unaryCode.get(op)!;
      byElements(x.length, (lane, first, count) => lane.call('unary', code, px + 4 * first, pout + 4 * first, count), [[pout, out]], [[px, x]]);
    },

    unaryBackward(op, x, y, dy, dx) {
      arena.reset();
      // Copy in only what the derivative reads (relu's backward, the commonest, needs x and dy);
      // the unread operand's pointer is dy's, so every pointer the kernel gets stays valid.
      const pdy = arena.take(dy.length);
      const read: Input = USES_Y.has(op) ? [arena.take(y.length), y] : [arena.take(x.length), x];
      const [px, py] = USES_Y.has(op) ? [pdy, read[0]] : [read[0], pdy];
      const pdx = arena.take(dx.length);
      const code = unaryCode.get(op)!;
      byElements(dx.length, (lane, first, count) =>
        lane.call('unaryBackward', code, px + 4 * first, py + 4 * first, pdy + 4 * first, pdx + 4 * first, count), [[pdx, dx]], [[pdy, dy], read]);
    },

    binary(op, a, aShape, b, bShape, out, outShape) {
      const { sizes, a: sa, b: sb } = collapseBroadcast(aShape, bShape, outShape);
      if (sizes.length > MAX_RANK) {
        // More than four non-mergeable broadcast dimensions: rare enough to leave to the reference.
        typescriptBackend.binary(op, a, aShape, b, bShape, out, outShape);
        return;
      }
      while (sizes.length < MAX_RANK) {
        sizes.unshift(1);
        sa.unshift(0);
        sb.unshift(0);
      }
      arena.reset();
      const pa = arena.input(a);
      const pb = arena.input(b);
      const pout = arena.take(out.length);
      // Tasks split the outermost dimension that has more than one index.
      const code = binaryCode.get(op)!;
      const split = Math.max(0, sizes.findIndex((d) => d > 1));
      const inner = sizes.slice(split + 1).reduce((p, d) => p * d, 1);
      const tasks = taskCount(sizes[split]!, out.length * ELEMENT_WORK);
      parallel.run(tasks, (lane, task) => {
        const [first, end] = shareOf(sizes[split]!, tasks, task);
        const d = sizes.map((size, i) => (i === split ? end - first : size));
        lane.call(
          'binaryStrided', code, pa + 4 * first * sa[split]!, pb + 4 * first * sb[split]!, pout + 4 * first * inner,
          d[0]!, d[1]!, d[2]!, d[3]!, sa[0]!, sa[1]!, sa[2]!, sa[3]!, sb[0]!, sb[1]!, sb[2]!, sb[3]!,
        );
      }, { finish: outputsByTask(arena, out.length, unitElements(sizes[split]!, inner, tasks), [[pout, out]]) });
    },

    affine(x, alpha, beta, out) {
      arena.reset();
      const px = arena.take(x.length);
      const pout = arena.take(out.length);
      byElements(x.length, (lane, first, count) => lane.call('affine', px + 4 * first, alpha, beta, pout + 4 * first, count), [[pout, out]], [[px, x]]);
    },

    axpy(alpha, x, y) {
      arena.reset();
      const px = arena.take(x.length);
      const py = arena.take(y.length);
      byElements(x.length, (lane, first, count) => lane.call('axpy', alpha, px + 4 * first, py + 4 * first, count), [[py, y]], [[px, x], [py, y]]);
    },
  };
}
