// One undo history for everything drawn on the template, whatever the tool: each change keeps the state before it,
// and Undo goes back one change (a box, a stroke, a click, a paint stroke, an uploaded mask, or Clear). Choosing a
// tool is not a change. Pure.

export interface History<T> {
  readonly past: readonly T[];
  readonly present: T;
}

/** How many changes Undo can go back. */
export const HISTORY_LIMIT = 500;

export const startHistory = <T>(present: T): History<T> => ({ past: [], present });

export const commit = <T>(h: History<T>, next: T): History<T> =>
  next === h.present ? h : { past: [...h.past, h.present].slice(-HISTORY_LIMIT), present: next };

export const undoLast = <T>(h: History<T>): History<T> => (h.past.length ? { past: h.past.slice(0, -1), present: h.past[h.past.length - 1] } : h);

export const canUndoLast = <T>(h: History<T>): boolean => h.past.length > 0;
