import { checkVideoRequest, isPlaceholderId, type RequestError, type Workspace } from '@app/client';
import { useClient } from '@app/client/react';
import { useState, type ReactNode } from 'react';
import { budgetMessage, errorMessage } from '../error-message.js';
import { useSignedVideoUrl } from '../signed-video-url.js';
import type { VideoSettings } from '../workspace-data.js';

type Video = NonNullable<Workspace['video']>;

const STATUS_TEXT: Record<Video['status'], string> = {
  queued: 'Video queued',
  throttled: 'Waiting for the video provider',
  running: 'Generating video',
  succeeded: 'Video ready',
  failed: 'Video failed',
  cancelled: 'Video cancelled',
};

const isActive = (video: Video | undefined): boolean =>
  video !== undefined && (video.status === 'queued' || video.status === 'throttled' || video.status === 'running');

/** Why starting or cancelling did not work, as a sentence. */
function videoFailure(action: 'generate' | 'cancel', error: RequestError): string {
  if (action === 'generate' && error.code === 'CONFLICT') return 'A video of this workspace is being made already.';
  if (action === 'cancel' && error.code === 'NOT_FOUND') return 'There is no video being made to cancel.';
  // The server names the rule and what is allowed (e.g. the prompt's length limit): worth reading as is.
  if (action === 'generate' && error.code === 'INVALID_MESSAGE') {
    const issues = (error.details?.['issues'] as { message?: unknown }[] | undefined) ?? [];
    const named = issues.flatMap((issue) => (typeof issue.message === 'string' ? [issue.message] : []));
    return `The video was not started: ${named.length > 0 ? named.join('; ') : error.message}.`;
  }
  if (error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT')
    return 'The video service did not answer in time. Try again.';
  return budgetMessage(error) ?? errorMessage(error);
}

export interface VideoPanelProps {
  workspace: Workspace;
  /** The saved prompt the video is made from. */
  prompt: string;
  settings: VideoSettings;
}

/**
 * The workspace's video: "Generate video" (`video.generate`) from its saved prompt and settings, status and
 * progress from `video.status_update` events (every tab on the project sees them), "Cancel" (`video.cancel`)
 * while it is being made, and the finished video inline.
 */
export function VideoPanel(props: VideoPanelProps): ReactNode {
  const { workspace } = props;
  const { video } = workspace;
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | undefined>();
  const active = isActive(video);
  // A signed link: no token in the <video src> (the link works alone until it expires).
  const playUrl = useSignedVideoUrl(video?.status === 'succeeded' ? video.videoUrl : undefined);
  const creating = isPlaceholderId(workspace.id);

  const run = (action: 'generate' | 'cancel'): void => {
    setFailure(undefined);
    if (action === 'generate') {
      // The model catalogue's rules, here as on the server: a request it would refuse is not sent.
      const checked = checkVideoRequest({
        prompt: props.prompt,
        model: props.settings.model,
        ratio: props.settings.ratio,
        duration: props.settings.durationSec,
      });
      if (!checked.ok) {
        setFailure(`The video was not started: ${checked.issues.map((issue) => issue.message).join('; ')}.`);
        return;
      }
    }
    setBusy(true);
    const request =
      action === 'generate'
        ? client.generateVideo({
            workspaceId: workspace.id,
            prompt: props.prompt,
            model: props.settings.model,
            ratio: props.settings.ratio,
            duration: props.settings.durationSec,
          })
        : client.cancelVideo({ workspaceId: workspace.id });
    request.then(
      () => setBusy(false),
      (error: RequestError) => {
        setBusy(false);
        setFailure(videoFailure(action, error));
      },
    );
  };

  const percent = video?.progress === undefined ? undefined : Math.round(video.progress * 100);
  return (
    <section className="video" aria-label={`Video of ${workspace.name}`}>
      <div className="video-actions">
        <button
          type="button"
          disabled={creating || busy || active || props.prompt.trim() === ''}
          onClick={() => run('generate')}
        >
          {video === undefined || active ? 'Generate video' : 'Generate again'}
        </button>
        {active ? (
          <button type="button" disabled={busy} onClick={() => run('cancel')}>
            Cancel
          </button>
        ) : null}
      </div>
      {failure === undefined ? null : (
        <p role="alert" className="notice notice-error">
          {failure}
        </p>
      )}
      {video === undefined ? null : (
        <>
          <p className="video-status" role="status">
            {STATUS_TEXT[video.status]}
            {video.status === 'running' && percent !== undefined ? ` (${percent} %)` : ''}
            {video.status === 'failed' && video.error !== undefined ? `: ${video.error.message}` : ''}
          </p>
          {active ? (
            // Without a value (queued, throttled) the bar shows that work is waiting rather than 0 %.
            <progress max={1} value={video.progress} aria-label={`Progress of the video of ${workspace.name}`}>
              {percent === undefined ? '' : `${percent} %`}
            </progress>
          ) : null}
          {video.status === 'succeeded' && playUrl !== undefined ? (
            <video
              src={playUrl}
              aria-label={`Video of ${workspace.name}`}
              controls
              muted
              loop
              autoPlay
              playsInline
              preload="auto"
            />
          ) : null}
        </>
      )}
    </section>
  );
}
