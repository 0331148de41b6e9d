/**
 * Writes lines to one of the CLI's own output streams. A reader that stops early
 * (`synccanvas dlq list | head -1`) closes the pipe; Node reports the next write as an EPIPE 'error'
 * event, which, unhandled, killed the process with a stack trace and exit code 1. Unix tools take a
 * gone reader as "nobody wants the rest": stop writing to that stream and let the command finish with
 * its own exit code (0 when it did its work). A long-running command (`run`, `serve`) keeps running;
 * its log goes to stderr.
 */
export function lineWriter(stream: NodeJS.WritableStream): (line: string) => void {
  let readerGone = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    // Only a closed reader is expected; anything else stays as loud as it was without this listener.
    if (e.code !== 'EPIPE') throw e;
    readerGone = true;
  });
  return (line) => {
    if (!readerGone) stream.write(`${line}\n`);
  };
}
