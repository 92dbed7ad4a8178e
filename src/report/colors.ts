/** Colours of the explainer's figures and the web page: P (the truth) blue, Q (the fit) red. */
export const FIGURE_COLORS = { p: '#1f5fa8', q: '#c8302c', text: '#1d232b', muted: '#5b6470', grid: '#e3e6ea' } as const;
