import { TERMS, type Term } from './terms.js';
import { useExplanations } from './explanations-store.js';

/** The plain-words line beside a technical word, while explanations are on. */
export function TermHint({ term, id }: { term: Term; id?: string }) {
  const [shown] = useExplanations();
  if (!shown) return null;
  return (
    <span className="term-hint" id={id} data-testid={`term-hint-${term}`}>
      {TERMS[term]}
    </span>
  );
}

/** Hides (or brings back) every explanation at once. */
export function ExplanationsToggle() {
  const [shown, setShown] = useExplanations();
  return (
    <button type="button" className="link-button" onClick={() => setShown(!shown)} data-testid="explanations-toggle">
      {shown ? 'Hide explanations' : 'Explain the terms'}
    </button>
  );
}
