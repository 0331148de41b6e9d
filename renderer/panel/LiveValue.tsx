/**
 * A value that briefly highlights when it changes, so live counters visibly tick.
 * Re-keying on the text restarts the CSS animation without any timers.
 */
export function LiveValue({ text, testId }: { text: string; testId?: string }) {
  return (
    <span key={text} className="live-value" data-testid={testId}>
      {text}
    </span>
  );
}
