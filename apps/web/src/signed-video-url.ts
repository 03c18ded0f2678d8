import { useEffect, useState } from 'react';

const VIDEO_PATH = /^\/videos\/([A-Za-z0-9_-]{1,64})\.mp4$/;

/**
 * The link a `<video>` plays: a signed one from `GET /api/videos/<jobId>/url`, which works without a token
 * in the URL until it expires. Undefined while it is being asked for; the plain path if the API gives none.
 */
export function useSignedVideoUrl(videoUrl: string | undefined): string | undefined {
  const [signed, setSigned] = useState<{ for: string; url: string } | undefined>(undefined);
  useEffect(() => {
    const jobId = videoUrl === undefined ? undefined : VIDEO_PATH.exec(videoUrl)?.[1];
    if (videoUrl === undefined || jobId === undefined) return;
    let current = true;
    void fetch(`/api/videos/${jobId}/url`, { credentials: 'same-origin' })
      .then(async (response) => {
        const body = response.ok ? ((await response.json()) as { url?: unknown }) : {};
        return typeof body.url === 'string' ? body.url : videoUrl;
      })
      .catch(() => videoUrl)
      .then((url) => {
        if (current) setSigned({ for: videoUrl, url });
      });
    return () => {
      current = false;
    };
  }, [videoUrl]);
  if (videoUrl === undefined) return undefined;
  if (!VIDEO_PATH.test(videoUrl)) return videoUrl;
  return signed?.for === videoUrl ? signed.url : undefined;
}
