/**
 * A subscriber of the engine's event stream that keeps what the drill history panel shows (no React): the view
 * the `drill.history` step left in its data (`drillHistory`), and this drill's RTO once `drill.rto` measured it.
 * Events of other runbooks leave it empty, so the panel shows nothing for them.
 */
import type { RunEvent, RunEventListener } from '../engine/events.js';
import type { StartRun } from '../engine/run-control.js';
import type { DrillHistoryView } from '../drill/history-view.js';

export interface DrillRtoNow {
  ms: number | null;
  met: boolean | null;
  target: string;
}

export interface DrillHistorySnapshot {
  view?: DrillHistoryView;
  /** This drill's RTO (null ms: the checks did not all pass). */
  now?: DrillRtoNow;
}

function isView(value: unknown): value is DrillHistoryView {
  return (
    Boolean(value) &&
    typeof value === 'object' &&
    Array.isArray((value as DrillHistoryView).rows) &&
    typeof (value as DrillHistoryView).drills === 'number'
  );
}

export class DrillHistoryTap {
  #snapshot: DrillHistorySnapshot = {};
  #listeners = new Set<() => void>();

  readonly getSnapshot = (): DrillHistorySnapshot => this.#snapshot;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly listener: RunEventListener = (event: RunEvent) => {
    if (event.type === 'run-started') return this.#set({});
    if (event.type !== 'step-finished' || !event.data) return;
    const { drillHistory, rto } = event.data as { drillHistory?: unknown; rto?: unknown };
    if (isView(drillHistory)) return this.#set({ ...this.#snapshot, view: drillHistory });
    const measured = rto as Partial<DrillRtoNow> | undefined;
    if (this.#snapshot.view && measured && typeof measured.target === 'string' && 'ms' in measured) {
      this.#set({
        ...this.#snapshot,
        now: {
          ms: typeof measured.ms === 'number' ? measured.ms : null,
          met: typeof measured.met === 'boolean' ? measured.met : null,
          target: measured.target,
        },
      });
    }
  };

  /** The same StartRun, with this tap listening to the run's events beside the renderer's own listener. */
  wrap(startRun: StartRun): StartRun {
    return (runbook, interactor, listener) =>
      startRun(runbook, interactor, (event) => {
        this.listener(event);
        listener(event);
      });
  }

  #set(snapshot: DrillHistorySnapshot): void {
    this.#snapshot = snapshot;
    for (const listener of this.#listeners) listener();
  }
}
