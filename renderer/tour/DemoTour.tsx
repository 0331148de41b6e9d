import { useState } from 'react';
import { useApp } from '../state/store-context.js';

/** Set once the tour is dismissed; e2e fixtures set it too, so other specs see the app without it. */
export const TOUR_KEY = 'synccanvas.tour';

const STEPS: { title: string; body: string }[] = [
  {
    title: 'Welcome to the SyncCanvas demo',
    body: 'Two small databases, a CRM and a billing system, are kept in sync both ways. A simulator edits records in both every few seconds, so you can watch changes travel.',
  },
  {
    title: 'What you see',
    body: 'Each box is a system; the line between them is a sync. Its label shows the direction, how fast changes arrive, and how many were refused (DLQ).',
  },
  {
    title: 'What to try',
    body: 'Click the line for live numbers. Press Preview to see what a sync would write, with nothing written. Open the DLQ to fix a refused change and replay it. Or press + New to build your own flow.',
  },
];

function dismissedBefore(): boolean {
  try {
    return globalThis.localStorage?.getItem(TOUR_KEY) === 'dismissed';
  } catch {
    return false;
  }
}

/** A short guided tour of the demo workspace on first run; once dismissed it stays away. */
export function DemoTour() {
  const demo = useApp((s) => s.workspace?.demo ?? false);
  const [step, setStep] = useState(0);
  const [open, setOpen] = useState(() => !dismissedBefore());
  if (!demo || !open) return null;
  const dismiss = () => {
    try {
      globalThis.localStorage?.setItem(TOUR_KEY, 'dismissed');
    } catch {
      // Not remembered: the tour shows again next time, which is harmless.
    }
    setOpen(false);
  };
  const s = STEPS[step]!;
  const last = step === STEPS.length - 1;
  return (
    <section className="tour" role="dialog" aria-modal="false" aria-labelledby="tour-title" aria-describedby="tour-body" data-testid="tour">
      <p className="tour__step">
        Step {step + 1} of {STEPS.length}
      </p>
      <h2 id="tour-title" className="tour__title">
        {s.title}
      </h2>
      <p id="tour-body" className="tour__body">
        {s.body}
      </p>
      <div className="tour__actions">
        <button type="button" className="link-button" onClick={dismiss}>
          Skip tour
        </button>
        <span className="tour__spacer" />
        {step > 0 && (
          <button type="button" className="button button--secondary" onClick={() => setStep(step - 1)}>
            Back
          </button>
        )}
        <button type="button" className="button button--primary" onClick={last ? dismiss : () => setStep(step + 1)}>
          {last ? 'Done' : 'Next'}
        </button>
      </div>
    </section>
  );
}
