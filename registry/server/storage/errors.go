package storage

import "errors"

// Error classes returned (wrapped) by the store. The HTTP layer maps them to
// the distribution-spec error codes in one place.
var (
	ErrNameInvalid         = errors.New("invalid repository name")
	ErrNameUnknown         = errors.New("repository name not known to registry")
	ErrTagInvalid          = errors.New("invalid tag")
	ErrDigestInvalid       = errors.New("invalid digest")
	ErrBlobUnknown         = errors.New("blob unknown to registry")
	ErrManifestUnknown     = errors.New("manifest unknown")
	ErrManifestBlobUnknown = errors.New("manifest references a blob unknown to registry")
	ErrUploadUnknown       = errors.New("blob upload unknown to registry")
	ErrRangeInvalid        = errors.New("upload range does not continue the upload")
	ErrSizeInvalid         = errors.New("content length does not match the data sent")
)
