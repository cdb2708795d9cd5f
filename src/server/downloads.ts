/**
 * GET/HEAD /artifacts/:id — artifact downloads with real HTTP semantics. The transfer is
 * Express's `res.sendFile` (the `send` package), so HEAD, single byte ranges (206/416),
 * Last-Modified and conditional requests (304/412) are a well-kept library's, not ours.
 * This module only decides *which* file (the store's record — nothing from the request
 * becomes a path) and the headers the record knows better than the file system: the
 * media type, the file name and a strong ETag from the content hash. Every failure is a
 * small JSON answer; none may escape as an unhandled error and stop the server.
 */
import { basename, dirname } from 'node:path';
import { create as contentDisposition } from 'content-disposition';
import type { RequestHandler, Response } from 'express';
import { artifactName, isArtifactId, type ArtifactRecord, type ArtifactStore } from '../artifacts/store.js';
import type { Logger } from '../util/logger.js';

/** The error codes a client can tell apart; any other status is reported as `internal`. */
const ERROR_CODES: Record<number, string> = {
  404: 'not_found',
  412: 'precondition_failed',
  416: 'range_not_satisfiable',
};

/** What `send` hands to the callback: an http-errors error, or a raw fs/stream error. */
type SendError = Error & { status?: number; statusCode?: number; code?: string; headers?: Record<string, string> };

/** Express handler for GET/HEAD /artifacts/:id. */
export function artifactDownloadHandler(store: ArtifactStore, logger: Logger): RequestHandler {
  return async (req, res) => {
    const id = String(req.params.id);
    let record: ArtifactRecord | undefined;
    try {
      // The id is checked before the store sees it; only the record's own path is ever served.
      record = isArtifactId(id) ? await store.get(id) : undefined;
    } catch (err) {
      logger.error({ id, err }, 'artifact lookup failed');
      return sendError(res, 500);
    }
    // A record without a local file (a remote store) has nothing to send from here.
    if (!record?.path) return sendError(res, 404);

    res.sendFile(
      basename(record.path),
      {
        // root + bare file name, not the absolute path: send's dotfile check then looks at the
        // file name only. With an absolute path it checks every directory too, and the default
        // store lives under ~/.local, which `dotfiles: 'deny'` would refuse outright.
        root: dirname(record.path),
        dotfiles: 'deny',
        index: false,
        // send applies these once the file has been stat'ed and skips its own Content-Type,
        // Cache-Control and ETag when already set, so the record's values win. (An `etag: false`
        // option would be pointless: res.sendFile overwrites it with the app's `etag` setting.)
        // send's freshness check reads the ETag back from the response, so If-None-Match with
        // the strong ETag still yields 304.
        headers: downloadHeaders(record),
      },
      (err?: SendError) => {
        if (!err || err.code === 'ECONNABORTED') return; // done, or the client went away
        const status = err.status ?? err.statusCode ?? 500;
        if (status === 404) logger.warn({ id }, 'artifact file is missing (its metadata is still there)');
        else if (status >= 500) logger.error({ id, err }, 'artifact download failed');
        // Mid-body there is no status left to change: cut the connection so the client sees a
        // short read against Content-Length rather than a silently truncated file.
        if (res.headersSent) return void res.destroy();
        sendError(res, status, err.headers);
      },
    );
  };
}

function downloadHeaders(record: ArtifactRecord): Record<string, string> {
  return {
    'Content-Type': record.mimeType, // from the record; send would guess from the extension
    'Content-Disposition': contentDisposition(artifactName(record), { type: 'inline' }),
    ETag: `"${record.sha256}"`,
    // An id always names the same bytes, so caches may keep them; private, as downloads may be authenticated.
    'Cache-Control': 'private, max-age=31536000, immutable',
    'X-Content-Type-Options': 'nosniff',
  };
}

/** A JSON error without stack or path. Drops headers set for the file (type, ETag, caching) first. */
function sendError(res: Response, status: number, extraHeaders?: Record<string, string>): void {
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  const error = ERROR_CODES[status] ?? (status >= 500 ? 'internal' : 'bad_request');
  const message =
    status === 404 ? 'No artifact with that id.'
    : status === 412 ? 'The artifact does not match the request preconditions.'
    : status === 416 ? 'The requested range is outside the artifact.'
    : status >= 500 ? 'Internal error while sending the artifact.'
    : 'The download request is not valid.';
  // 416 carries `Content-Range: bytes */<size>` from send, which clients need.
  if (extraHeaders) res.set(extraHeaders);
  res.status(status).set('Cache-Control', 'no-store').set('X-Content-Type-Options', 'nosniff').json({ error, message });
}
