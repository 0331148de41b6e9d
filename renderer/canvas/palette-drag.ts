/** The drag-and-drop type a palette item carries: the connector kind. */
export const PALETTE_MIME = 'application/x-synccanvas-kind';
