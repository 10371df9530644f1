import type { ScenarioReport } from "./scenario.js";

/** The counts a scale run checked, one line each. */
export function describe(r: ScenarioReport): string[] {
  return [
    `files ${r.files}, partners ${r.partners}, uploads took ${r.uploadSeconds.toFixed(1)} s`,
    `faults: ${r.faults.join("; ") || "none"} (${r.faultsDuringLoad} of ${r.faults.length} during the load)`,
    `stored (226): ${r.stored}; read back intact from storage: ${r.storedIntact}; stored twice (sent again after a lost 226): ${r.storedTwice}`,
    `delivered intact to the partner: ${r.deliveredIntact}; renames to the final name at the partner: ${r.partnerDeliveries}; appeared more often than stored: ${r.deliveredTwice}; never: ${r.deliveredNever}; versions delivered more than once: ${r.extraCompletedEvents}; dead letters: ${r.deadLetters}`,
    `uploads in the partner's transfer log: ${r.partnerUploads}; files whose bytes were sent again after a push was cut before its rename: ${r.sentAgain}`,
    `tries: ${r.attempts} for ${r.files} files; files tried more than once: ${r.retriedFiles}; tries that failed after their 150: ${r.failedAfterStart}`,
    `listings through Wharf: ${r.listings}; half-done names listed: ${r.partialListings.length}; half-done names at the partner: ${r.partialAtPartner.length}`,
    ...r.problems.slice(0, 20).map((problem) => `problem: ${problem}`),
  ];
}

/** What failed, one line per check; empty when the run kept every promise of issue 8's fault scenario. */
export function verdict(r: ScenarioReport): string[] {
  const failed: string[] = [];
  if (r.faultsDuringLoad !== r.faults.length) failed.push(`${r.faults.length - r.faultsDuringLoad} faults came after the load had ended`);
  if (r.stored !== r.files) failed.push(`${r.files - r.stored} files never got a 226`);
  if (r.storedIntact !== r.stored) failed.push(`${r.stored - r.storedIntact} stored files are missing or changed in storage`);
  if (r.deliveredIntact !== r.stored) failed.push(`${r.stored - r.deliveredIntact} stored files are not intact at the partner`);
  // The partner's logs must show every delivery, or "appeared more often: 0" would prove nothing.
  if (r.partnerDeliveries < r.deliveredIntact) failed.push(`the partner's protocol log shows ${r.partnerDeliveries} renames for ${r.deliveredIntact} delivered files`);
  if (r.partnerUploads < r.deliveredIntact) failed.push(`the partner's transfer log shows ${r.partnerUploads} uploads for ${r.deliveredIntact} delivered files`);
  if (r.deliveredTwice > 0) failed.push(`${r.deliveredTwice} files were uploaded to the partner more often than they were stored`);
  if (r.extraCompletedEvents > 0) failed.push(`${r.extraCompletedEvents} stored versions were delivered more than once`);
  // A drain lets running transfers finish: in a rolling restart, no transfer that had begun may fail.
  if (r.mode === "rolling" && r.failedAfterStart > 0) failed.push(`${r.failedAfterStart} transfers failed after their 150 during the rolling restart`);
  if (r.deadLetters > 0) failed.push(`${r.deadLetters} dead letters`);
  if (r.partialListings.length > 0) failed.push(`half-done files listed: ${r.partialListings.slice(0, 5).join("; ")}`);
  if (r.partialAtPartner.length > 0) failed.push(`half-done files at the partner: ${r.partialAtPartner.slice(0, 5).join("; ")}`);
  return failed;
}
