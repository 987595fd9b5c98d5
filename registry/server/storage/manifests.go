package storage

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Manifest is a stored manifest.
type Manifest struct {
	Digest    digest.Digest
	MediaType string
	Content   []byte
}

// PutManifestOptions are what the HTTP layer learned from parsing a manifest.
type PutManifestOptions struct {
	Tags      []string        // tags to point at the manifest
	Blobs     []digest.Digest // blobs it references
	Manifests []digest.Digest // manifests it references
	// Subject, when set, files the manifest as a referrer of that digest,
	// described by Referrer.
	Subject  digest.Digest
	Referrer ocispec.Descriptor
}

// revision is the content of a revision link.
type revision struct {
	MediaType string        `json:"mediaType"`
	Subject   digest.Digest `json:"subject,omitempty"`
}

// PutManifest stores m in repo. Referenced blobs and manifests present in
// the repository are touched first so that a concurrent gc keeps them (see
// GC); absent ones are allowed (sparse manifests).
func (s *Store) PutManifest(repo string, m Manifest, o PutManifestOptions) error {
	if err := ValidateName(repo); err != nil {
		return err
	}
	for _, t := range o.Tags {
		if err := ValidateTag(t); err != nil {
			return err
		}
	}
	if err := s.touchReferences(repo, o); err != nil {
		return err
	}
	if err := s.writeBlob(m.Digest, m.Content); err != nil {
		return fmt.Errorf("storing manifest %s: %w", m.Digest, err)
	}
	rev, _ := json.Marshal(revision{MediaType: m.MediaType, Subject: o.Subject})
	if err := writeFileAtomic(s.revisionPath(repo, m.Digest), rev); err != nil {
		return fmt.Errorf("storing manifest %s in %s: %w", m.Digest, repo, err)
	}
	if o.Subject != "" {
		desc, _ := json.Marshal(o.Referrer)
		p := filepath.Join(s.referrerDir(repo, o.Subject), referrerFile(m.Digest))
		if err := writeFileAtomic(p, desc); err != nil {
			return fmt.Errorf("recording referrer %s of %s: %w", m.Digest, o.Subject, err)
		}
	}
	for _, t := range o.Tags {
		if err := writeFileAtomic(s.tagPath(repo, t), []byte(m.Digest)); err != nil {
			return fmt.Errorf("tagging %s:%s: %w", repo, t, err)
		}
	}
	return nil
}

func (s *Store) touchReferences(repo string, o PutManifestOptions) error {
	check := func(link string, d digest.Digest) error {
		if _, err := os.Stat(link); err != nil {
			// Not in this repository: a sparse manifest (a platform or a
			// layer deliberately left out), which the spec allows.
			return nil
		}
		if err := touch(s.blobPath(d)); err != nil {
			// Linked but gone: gc took it a moment ago. Refuse, so the
			// client uploads it again instead of trusting a dangling link.
			return fmt.Errorf("%s: %w", d, ErrManifestBlobUnknown)
		}
		return nil
	}
	for _, d := range o.Blobs {
		if err := check(s.layerLink(repo, d), d); err != nil {
			return err
		}
	}
	for _, d := range o.Manifests {
		if err := check(s.revisionPath(repo, d), d); err != nil {
			return err
		}
	}
	return nil
}

// writeBlob stores small verified content (a manifest) under blobs/.
func (s *Store) writeBlob(d digest.Digest, content []byte) error {
	if d.Algorithm().FromBytes(content) != d {
		return fmt.Errorf("content of %s: %w", d, ErrDigestInvalid)
	}
	return writeFileAtomic(s.blobPath(d), content)
}

func referrerFile(d digest.Digest) string {
	return d.Algorithm().String() + "-" + d.Encoded()
}

// ResolveTag returns the digest tag points to in repo.
func (s *Store) ResolveTag(repo, tag string) (digest.Digest, error) {
	if err := ValidateTag(tag); err != nil {
		return "", err
	}
	raw, err := os.ReadFile(s.tagPath(repo, tag))
	if err != nil {
		return "", fmt.Errorf("tag %s:%s: %w", repo, tag, ErrManifestUnknown)
	}
	d, err := ParseDigest(strings.TrimSpace(string(raw)))
	if err != nil {
		return "", fmt.Errorf("tag %s:%s: corrupt link: %w", repo, tag, err)
	}
	return d, nil
}

// GetManifest returns manifest d of repo.
func (s *Store) GetManifest(repo string, d digest.Digest) (Manifest, error) {
	rev, err := s.readRevision(repo, d)
	if err != nil {
		return Manifest{}, err
	}
	content, err := os.ReadFile(s.blobPath(d))
	if err != nil {
		return Manifest{}, fmt.Errorf("manifest %s in %s: %w", d, repo, ErrManifestUnknown)
	}
	return Manifest{Digest: d, MediaType: rev.MediaType, Content: content}, nil
}

func (s *Store) readRevision(repo string, d digest.Digest) (revision, error) {
	var rev revision
	raw, err := os.ReadFile(s.revisionPath(repo, d))
	if err != nil {
		return rev, fmt.Errorf("manifest %s in %s: %w", d, repo, ErrManifestUnknown)
	}
	if err := json.Unmarshal(raw, &rev); err != nil {
		return rev, fmt.Errorf("manifest %s in %s: corrupt revision: %w", d, repo, err)
	}
	return rev, nil
}

// DeleteManifest removes manifest d from repo, with every tag pointing to it
// and its entry in the referrers of its subject.
func (s *Store) DeleteManifest(repo string, d digest.Digest) error {
	rev, err := s.readRevision(repo, d)
	if err != nil {
		return err
	}
	tags, _ := s.Tags(repo)
	for _, t := range tags {
		if got, err := s.ResolveTag(repo, t); err == nil && got == d {
			_ = os.Remove(s.tagPath(repo, t))
		}
	}
	if rev.Subject != "" {
		_ = os.Remove(filepath.Join(s.referrerDir(repo, rev.Subject), referrerFile(d)))
	}
	if err := os.Remove(s.revisionPath(repo, d)); err != nil && !isNotExist(err) {
		return fmt.Errorf("deleting manifest %s in %s: %w", d, repo, err)
	}
	return nil
}

// DeleteTag removes tag from repo, leaving the manifest.
func (s *Store) DeleteTag(repo, tag string) error {
	if err := ValidateTag(tag); err != nil {
		return err
	}
	if err := os.Remove(s.tagPath(repo, tag)); err != nil {
		if isNotExist(err) {
			return fmt.Errorf("tag %s:%s: %w", repo, tag, ErrManifestUnknown)
		}
		return fmt.Errorf("deleting tag %s:%s: %w", repo, tag, err)
	}
	return nil
}

// Tags lists repo's tags in lexical order.
func (s *Store) Tags(repo string) ([]string, error) {
	if !s.RepositoryExists(repo) {
		return nil, fmt.Errorf("repository %s: %w", repo, ErrNameUnknown)
	}
	ents, err := os.ReadDir(s.repoPath(repo, "_manifests", "tags"))
	if err != nil && !isNotExist(err) {
		return nil, fmt.Errorf("listing tags of %s: %w", repo, err)
	}
	tags := []string{}
	for _, e := range ents {
		if !e.IsDir() && ValidateTag(e.Name()) == nil {
			tags = append(tags, e.Name())
		}
	}
	sort.Strings(tags)
	return tags, nil
}

// Referrers lists the manifests in repo whose subject is d.
func (s *Store) Referrers(repo string, d digest.Digest) ([]ocispec.Descriptor, error) {
	ents, err := os.ReadDir(s.referrerDir(repo, d))
	if err != nil && !isNotExist(err) {
		return nil, fmt.Errorf("listing referrers of %s in %s: %w", d, repo, err)
	}
	out := []ocispec.Descriptor{}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(s.referrerDir(repo, d), e.Name()))
		if err != nil {
			continue // deleted concurrently
		}
		var desc ocispec.Descriptor
		if json.Unmarshal(raw, &desc) == nil {
			out = append(out, desc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Digest < out[j].Digest })
	return out, nil
}

// Repositories lists every repository in lexical order.
func (s *Store) Repositories() ([]string, error) {
	var repos []string
	base := filepath.Join(s.root, "repositories")
	err := filepath.WalkDir(base, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			if isNotExist(err) {
				return nil
			}
			return err
		}
		if !e.IsDir() || p == base {
			return nil
		}
		if strings.HasPrefix(e.Name(), "_") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(base, p)
		name := filepath.ToSlash(rel)
		if s.hasContent(p) && ValidateName(name) == nil {
			repos = append(repos, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	sort.Strings(repos)
	return repos, nil
}

// hasContent tells a repository directory from a mere namespace directory
// ("library" above "library/debian").
func (s *Store) hasContent(dir string) bool {
	for _, sub := range []string{"_manifests", "_layers"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}
