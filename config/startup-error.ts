/**
 * A failure the operator can fix (bad setting, busy port, missing tool). Entry points print its message
 * as one line instead of a stack trace.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export function describeStartupFailure(error: unknown): string {
  if (error instanceof StartupError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
