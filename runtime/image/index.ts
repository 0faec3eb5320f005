/**
 * Module images without Docker (docs/images.md): `edgemu image build` bundles a module folder
 * and puts it on a Node.js base made from the host's runtime as an OCI image, cached by content;
 * images are imported into a containerd (the local cluster's real node) with `ctr`; the sample
 * images and Microsoft's sensor stand-in are built on first use (`ensureManifestImages`).
 */
export { buildImage, exportImage, defaultTag, LABEL_BUILT_BY, LABEL_STAND_IN, type BuildImageOptions, type BuiltImage } from './build-image.js';
export { bundleModule, moduleEntry, MODULE_ENTRIES } from './bundle-module.js';
export { resolveContainerdTarget, containerdTargetOfNode, CRI_NAMESPACE, type ContainerdTarget, type TargetInputs } from './containerd-target.js';
export { CtrClient, ctrImageEvents, isImageEventLine, parseImageList, isEdgemuImage, CONTAINERD_LABEL_IMAGE, CONTAINERD_LABEL_STAND_IN, type ContainerdImage, type ImageEventFeed } from './ctr-client.js';
export { ImageError, type ImageErrorCode } from './image-error.js';
export { fullImageName, shortImageName } from './image-name.js';
export { ImageStore } from './image-store.js';
export { importArchive, importBuiltImage, type ImportOutcome } from './import-image.js';
export { inspectArchive, type ArchiveInfo } from './inspect-archive.js';
export { parseLdd, hostNodeBase } from './node-base.js';
export { buildManifestImages, ensureManifestImages, importManifestImages, wantedSampleImages, sampleImageFor, MS_SENSOR_REPOSITORY, MS_SENSOR_TAGS, type EnsuredImage, type EnsureImagesOptions, type PreparedImage, type SampleImage } from './sample-images.js';
export { ContainerdImageCache, nodeImageCache, type ContainerdImageCacheOptions, type ImageLister } from './containerd-image-cache.js';
