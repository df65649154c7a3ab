/**
 * Resident memory from Linux's /proc/self/status: VmRSS (resident now) and VmHWM (the
 * high-water mark of the resident set), both in kB. Elsewhere (no /proc) the current value
 * comes from process.memoryUsage() and the high-water mark from getrusage's maxRSS.
 */
import { readFileSync } from 'node:fs';

export interface ResidentMemory { rssKB: number; hwmKB: number }

/** The VmRSS and VmHWM lines of a /proc/<pid>/status text; null when either is missing. */
export function parseProcStatus(text: string): ResidentMemory | null {
  const field = (name: string): number | null => {
    const match = new RegExp(`^${name}:\\s*(\\d+)\\s*kB`, 'm').exec(text);
    return match ? Number(match[1]) : null;
  };
  const rssKB = field('VmRSS');
  const hwmKB = field('VmHWM');
  return rssKB === null || hwmKB === null ? null : { rssKB, hwmKB };
}

export function readProcStatus(): ResidentMemory {
  try {
    const parsed = parseProcStatus(readFileSync('/proc/self/status', 'utf8'));
    if (parsed) return parsed;
  } catch {
    // not Linux: fall through
  }
  return { rssKB: process.memoryUsage().rss / 1024, hwmKB: process.resourceUsage().maxRSS };
}
