package api

// QuotaExceeded names the quota a refused request would have gone over.
type QuotaExceeded struct {
	// Name is one of the quotas of Limits, by its JSON name:
	// stored_bytes, uploads_per_hour, photos_per_job, concurrent_jobs.
	Name string `json:"name"`
	// Limit is the owner's limit, Used what is used now without the
	// request, and Requested what the request asked for: bytes, uploads,
	// photos or jobs.
	Limit     int64 `json:"limit"`
	Used      int64 `json:"used"`
	Requested int64 `json:"requested"`
}

// Usage is what an owner uses of its quotas now.
type Usage struct {
	StoredBytes     int64 `json:"stored_bytes"`
	UploadsLastHour int64 `json:"uploads_last_hour"`
	ConcurrentJobs  int64 `json:"concurrent_jobs"`
}

// Limits are an owner's quotas; 0 is no limit.
type Limits struct {
	StoredBytes    int64 `json:"stored_bytes"`
	UploadsPerHour int64 `json:"uploads_per_hour"`
	PhotosPerJob   int64 `json:"photos_per_job"`
	ConcurrentJobs int64 `json:"concurrent_jobs"`
}
