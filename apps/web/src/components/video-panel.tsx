import type { Workspace } from '@app/client';
import type { ReactNode } from 'react';

const STATUS_TEXT = {
  queued: 'Video queued',
  running: 'Generating video',
  succeeded: 'Video ready',
  failed: 'Video failed',
} as const;

/**
 * The workspace's video: status and progress from `video.status_update` events, and the finished video inline.
 * "Generate video" and "Cancel" belong here once the protocol has `video.generate` / `video.cancel`.
 */
export function VideoPanel(props: { workspace: Workspace }): ReactNode {
  const { video } = props.workspace;
  if (video === undefined) return null;
  const progress = video.progress ?? (video.status === 'succeeded' ? 100 : 0);
  return (
    <section className="video" aria-label={`Video of ${props.workspace.name}`}>
      <p className="video-status">
        {STATUS_TEXT[video.status]}
        {video.status === 'failed' && video.error !== undefined ? `: ${video.error}` : ''}
      </p>
      {video.status === 'queued' || video.status === 'running' ? (
        <progress max={100} value={progress} aria-label="Progress">
          {progress} %
        </progress>
      ) : null}
      {video.status === 'succeeded' && video.url !== undefined ? (
        <video src={video.url} controls muted loop playsInline preload="metadata" />
      ) : null}
    </section>
  );
}
