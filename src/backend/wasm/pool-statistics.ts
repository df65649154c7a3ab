/**
 * A thread pool's counters (threads.ts) and the readings taken from them: where the time of a
 * stretch of training went, as ratios that stay meaningful on a machine shared with other work.
 */

/** Where a pool's time went since its counters were last reset (every lane's ms are its own clock). */
export interface PoolStatistics {
  /**
   * Kernels cut into several tasks (published to the workers; on one lane, run in place), and
   * kernels of one task, which the calling thread runs alone, with the ms they took.
   */
  regions: number;
  inlineRegions: number;
  inlineMs: number;
  /** ms the calling thread spent inside published kernels, from publishing to the last task done. */
  regionMs: number;
  /** ms the calling thread waited for other lanes' last tasks after it found none left to claim (finishing tasks not counted). */
  callerWaitMs: number;
  /**
   * Per lane (0 = the calling thread, whose ms include finishing tasks): ms running tasks and tasks run; workers also count their
   * sleeps and how often they caught up with memory the caller had grown (grow(0)).
   */
  lanes: { busyMs: number; tasks: number; sleeps: number; catchUps: number }[];
}

/** The counters of two stretches of the same pool, added. */
export function addStatistics(a: PoolStatistics, b: PoolStatistics): PoolStatistics {
  return {
    regions: a.regions + b.regions, inlineRegions: a.inlineRegions + b.inlineRegions, inlineMs: a.inlineMs + b.inlineMs,
    regionMs: a.regionMs + b.regionMs, callerWaitMs: a.callerWaitMs + b.callerWaitMs,
    lanes: a.lanes.map((lane, i) => {
      const other = b.lanes[i]!;
      return { busyMs: lane.busyMs + other.busyMs, tasks: lane.tasks + other.tasks, sleeps: lane.sleeps + other.sleeps, catchUps: lane.catchUps + other.catchUps };
    }),
  };
}

/** Load-robust readings of a pool's counters over `wallMs` of the caller's time (see parallelReading). */
export interface ParallelReading {
  /** Share of the work that ran outside parallel kernels: the caller's time outside them over that time plus every lane's task time. */
  serialFraction: number;
  /** Amdahl's bound on `lanes` threads for that serial fraction: 1 / (f + (1 − f)/T). */
  amdahlBound: number;
  /** Share of the tasks the worker lanes ran (1 − 1/T for an even split; 0 if they never woke in time). */
  workerTaskShare: number;
}

/**
 * Where the time went, as ratios that a busy machine disturbs far less than wall-clock speed-ups:
 * a thread that loses its core stretches both sides of each ratio alike. The serial fraction is
 * work the other lanes cannot share (JavaScript, copies outside the tasks' hooks, kernels of one task), so the
 * bound is what T threads could reach on an idle machine; the task share is what they did reach.
 */
export function parallelReading(stats: PoolStatistics, wallMs: number): ParallelReading {
  const lanes = stats.lanes.length;
  const serial = Math.max(0, wallMs - stats.regionMs);
  const work = stats.lanes.reduce((sum, lane) => sum + lane.busyMs, 0);
  const tasks = stats.lanes.reduce((sum, lane) => sum + lane.tasks, 0);
  const serialFraction = serial + work > 0 ? serial / (serial + work) : 1;
  return {
    serialFraction,
    amdahlBound: 1 / (serialFraction + (1 - serialFraction) / lanes),
    workerTaskShare: tasks > 0 ? (tasks - stats.lanes[0]!.tasks) / tasks : 0,
  };
}
