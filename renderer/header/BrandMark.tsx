/** The app mark: two systems joined by a sync edge. */
export function BrandMark() {
  return (
    <svg className="brand-mark" width="24" height="24" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect x="1.5" y="6" width="8" height="12" rx="2.5" className="brand-mark__node" />
      <rect x="14.5" y="6" width="8" height="12" rx="2.5" className="brand-mark__node" />
      <path d="M9.5 10h5M9.5 14h5" className="brand-mark__edge" />
    </svg>
  );
}
