/** The blob's extension and properties, as edgeAgent names and labels uploaded logs (Azure/iotedge `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/logs/AzureBlobRequestsUploader.cs`, `GetLogsExtension`). */
export function logBlobFormat(contentType: 'json' | 'text', encoding: 'none' | 'gzip'): { extension: string; contentType: string; contentEncoding?: string } {
  const base = contentType === 'json' ? 'json' : 'log';
  return {
    extension: encoding === 'gzip' ? `${base}.gz` : base,
    contentType: contentType === 'json' ? 'application/json' : 'text/plain',
    ...(encoding === 'gzip' ? { contentEncoding: 'gzip' } : {}),
  };
}

/** `<hub>/<device>/<id>-<yyyy-MM-dd--HH-mm-ss>.<ext>`, edgeAgent's blob name (`AzureBlobRequestsUploader.GetBlobName`). */
export function uploadBlobName(hubName: string, deviceId: string, id: string, extension: string, nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  const stamp = `${iso.slice(0, 10)}--${iso.slice(11, 19).replaceAll(':', '-')}`;
  return `${hubName}/${deviceId}/${id}-${stamp}.${extension}`;
}
