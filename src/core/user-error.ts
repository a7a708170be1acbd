// An error caused by the user's input (config, arguments, files): the CLI prints its message alone, never a stack trace.

export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UserError';
  }
}
