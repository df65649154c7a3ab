/** Whether ops record themselves on the tape (PyTorch's grad mode). */
let gradEnabled = true;

/** Whether operations are recorded on the autograd tape now (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording: no graph is built, nothing is saved for backward. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Run `fn` with recording on (inside a noGrad region). */
export function enableGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}
