/**
 * PyTorch's environment at `threads` threads. Debian's python3-torch does its matrix products in
 * the system BLAS: with OpenBLAS that is a second thread pool of its own (every core, spinning
 * after each call), which torch.set_num_threads does not reach, so a "1 thread" row would use
 * two cores and steal the next row's.
 */
export function torchThreadsEnv(threads: number): NodeJS.ProcessEnv {
  return { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
}
