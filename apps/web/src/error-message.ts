import type { ChangeFailure, RequestError } from '@app/client';

/** "in about 3 hours" / "in about 20 minutes" / "in a minute": when a refused request may be tried again. */
export function retryIn(retryAfterMs: number): string {
  const minutes = Math.ceil(retryAfterMs / 60_000);
  if (minutes <= 1) return 'in a minute';
  if (minutes < 90) return `in about ${minutes} minutes`;
  return `in about ${Math.round(minutes / 60)} hours`;
}

/**
 * The sentence of a spent budget of paid work (RATE_LIMITED with `details.budget`): what is used up and
 * when more is possible; undefined for any other error.
 */
export function budgetMessage(error: RequestError): string | undefined {
  const budget = error.details?.['budget'];
  const retryAfterMs = error.details?.['retryAfterMs'];
  if (error.code !== 'RATE_LIMITED' || typeof budget !== 'string' || typeof retryAfterMs !== 'number') return undefined;
  const when = retryIn(retryAfterMs);
  if (budget.startsWith('video-daily'))
    return `You have started as many videos as a day allows. You can start more ${when}.`;
  if (budget.startsWith('prompt-daily')) return `You have used today’s prompt suggestions. More ${when}.`;
  return `The service is busy for everyone right now. Try again ${when}.`;
}

/** A sentence for a person, from an error of the client or the server (never a stack or a code alone). */
export function errorMessage(error: RequestError): string {
  switch (error.code) {
    case 'CONFLICT':
      return 'Someone else changed it first.';
    case 'NOT_FOUND':
      return 'It no longer exists: someone may have deleted it.';
    case 'FORBIDDEN':
    case 'UNAUTHORIZED':
    case 'TERMINAL_CLOSE':
      return 'You are not allowed to do this, or your session has ended. Reload the page to sign in again.';
    case 'RATE_LIMITED':
      return 'Too many changes at once. Wait a moment and try again.';
    case 'UNAVAILABLE':
    case 'INTERNAL':
    case 'TIMEOUT':
      return 'The server did not confirm the change in time. Try again.';
    case 'QUEUE_FULL':
      return 'Too many changes are waiting for the connection. Wait until it is back.';
    case 'QUEUE_EXPIRED':
      return 'The connection was away too long, so the change was not sent. Try again.';
    case 'TOO_LARGE':
      return 'This is too large to save.';
    case 'PROJECT_LIMIT':
      return 'This project is full: delete or shrink some workspaces first.';
    case 'PROVIDER_ERROR':
      return 'The service behind it gave an answer that cannot be used. Try again.';
    case 'INVALID_MESSAGE':
    case 'INVALID_JSON':
    case 'UNKNOWN_TYPE':
    case 'INVALID_REPLY':
      return 'The change was not accepted: check what you entered.';
    case 'CLOSED':
    case 'CONNECTION_LOST':
    case 'TOKEN_FAILED':
      return 'The connection to the server is closed. Reload the page.';
  }
}

/** "Your change to “Intro” was not saved. Someone else changed it first. Yours: “Intro shot”." */
export function failureMessage(failure: ChangeFailure, name: string | undefined): string {
  const quoted = name === undefined ? undefined : `“${name}”`;
  if (failure.outcome === 'unconfirmed') {
    const what = `${failure.kind === 'update' ? `Your change to ${quoted ?? 'a workspace'}` : 'Your change'} is not confirmed: it may or may not have been saved.`;
    return `${what} ${errorMessage(failure.error)}`;
  }
  let what: string;
  switch (failure.kind) {
    case 'create':
      what = 'Adding a workspace did not work.';
      break;
    case 'update':
      what = `Your change to ${quoted ?? 'a workspace'} was not saved.`;
      break;
    case 'delete':
      what = `Deleting ${quoted ?? 'the workspace'} did not work.`;
      break;
    case 'reorder':
      what = 'Moving the workspaces did not work.';
      break;
  }
  const yours = failure.patch?.name === undefined ? '' : ` Yours: “${failure.patch.name}”.`;
  return `${what} ${errorMessage(failure.error)}${yours}`;
}
