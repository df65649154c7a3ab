import type { Backend, BinaryOp, Shape, UnaryOp } from '../backend.js';
import { typescriptBackend } from '../ts/index.js';
import type { WasmContext } from './arena.js';

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

export function makeElementwise({ kernels, arena }: WasmContext): Pick<Backend, 'unary' | 'unaryBackward' | 'binary' | 'affine' | 'axpy'> {
  return {
    unary(op, x, out) {
      arena.reset();
      const px = arena.input(x);
      const pout = arena.take(out.length);
      kernels.unary(unaryCode.get(op)!, px, pout, x.length);
      arena.output(pout, out);
    },

    unaryBackward(op, x, y, dy, dx) {
      arena.reset();
      // Copy in only what the derivative reads (relu's backward, the commonest, needs x and dy);
      // the unread operand's pointer is dy's, so every pointer the kernel gets stays valid.
      const pdy = arena.input(dy);
      const px = USES_Y.has(op) ? pdy : arena.input(x);
      const py = USES_Y.has(op) ? arena.input(y) : pdy;
      const pdx = arena.take(dx.length);
      kernels.unaryBackward(unaryCode.get(op)!, px, py, pdy, pdx, dx.length);
      arena.output(pdx, dx);
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
      kernels.binaryStrided(
        binaryCode.get(op)!, pa, pb, pout,
        sizes[0]!, sizes[1]!, sizes[2]!, sizes[3]!, sa[0]!, sa[1]!, sa[2]!, sa[3]!, sb[0]!, sb[1]!, sb[2]!, sb[3]!,
      );
      arena.output(pout, out);
    },

    affine(x, alpha, beta, out) {
      arena.reset();
      const px = arena.input(x);
      const pout = arena.take(out.length);
      kernels.affine(px, alpha, beta, pout, x.length);
      arena.output(pout, out);
    },

    axpy(alpha, x, y) {
      arena.reset();
      const px = arena.input(x);
      const py = arena.input(y);
      kernels.axpy(alpha, px, py, x.length);
      arena.output(py, y);
    },
  };
}
