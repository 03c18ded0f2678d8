import { useConnectionState } from '@app/client/react';
import { useEffect, useState, type ReactNode } from 'react';

/** Failed attempts in a row after which the badge says "offline" rather than "reconnecting". */
const OFFLINE_AFTER_ATTEMPTS = 3;

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Seconds until `at`, refreshed while the badge shows a countdown. */
function useSecondsUntil(at: number | undefined): number | undefined {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at === undefined) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [at]);
  return at === undefined ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Connecting, live, reconnecting (with its countdown) or offline (with the changes queued). */
export function ConnectionBadge(props: { queued: number }): ReactNode {
  const connection = useConnectionState();
  const seconds = useSecondsUntil(connection.state === 'reconnecting' ? connection.reconnectAt : undefined);
  const offline =
    connection.state === 'closed' ||
    (connection.state === 'reconnecting' && (connection.failedAttempts >= OFFLINE_AFTER_ATTEMPTS || !navigator.onLine));
  const queued = props.queued > 0 ? ` · ${plural(props.queued, 'change', 'changes')} queued` : '';
  let kind: string;
  let text: string;
  if (connection.state === 'open') {
    kind = 'live';
    text = 'Live';
  } else if (connection.state === 'connecting') {
    kind = 'connecting';
    text = 'Connecting…';
  } else if (offline) {
    kind = 'offline';
    text = `Offline${queued}`;
  } else {
    kind = 'reconnecting';
    text = `${seconds === undefined || seconds === 0 ? 'Reconnecting…' : `Reconnecting in ${seconds} s`}${queued}`;
  }
  return (
    <p className={`badge badge-${kind}`} role="status" data-state={kind} aria-live="polite">
      <span className="badge-dot" aria-hidden="true" />
      {text}
    </p>
  );
}
