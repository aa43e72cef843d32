/**
 * A cluster spec's log: each line printed with the seconds since the spec's file was loaded
 * (`[+123.4 s] kafka-2 back`), so a CI log shows where a cluster run spends its time, phase by phase.
 * Returns the line as printed.
 */
export function elapsedLog(since = Date.now()): (line: string) => string {
  return (line) => {
    const stamped = `[+${((Date.now() - since) / 1000).toFixed(1)} s] ${line}`;
    console.log(stamped);
    return stamped;
  };
}
