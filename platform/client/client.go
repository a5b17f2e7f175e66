package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pixmill/pixmill/platform/api"
)

// maxJSONBody bounds the JSON answers read into memory. A job of thousands
// of tasks is well under a megabyte; the bound only stops a broken or
// hostile server from making the client allocate without end.
const maxJSONBody = 32 << 20

// Client calls one pixmill server. It is safe for concurrent use.
type Client struct {
	base  string
	hc    *http.Client
	token string
}

// Option configures a Client.
type Option func(*Client)

// WithToken sends token as "Authorization: Bearer" with every request: an
// API key (pmk_…) or a token of the server's OpenID provider. An empty
// token sends nothing. The token goes in that header only, never in a URL,
// and net/http drops it on a redirect to another host.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// New returns a client of the server at baseURL (for example
// "http://127.0.0.1:8080"). A nil httpClient means http.DefaultClient;
// pass your own for timeouts or proxies.
func New(baseURL string, httpClient *http.Client, opts ...Option) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), hc: httpClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// CreateJob submits a job of edits and returns it as first recorded,
// usually with every task queued.
func (c *Client) CreateJob(ctx context.Context, job api.JobRequest) (api.Job, error) {
	body, err := json.Marshal(job)
	if err != nil {
		return api.Job{}, fmt.Errorf("client: create job: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("v1", "jobs"), bytes.NewReader(body))
	if err != nil {
		return api.Job{}, fmt.Errorf("client: create job: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	var created api.Job
	if err := c.exchange(req, "create job", &created); err != nil {
		return api.Job{}, err
	}
	return created, nil
}

// Job returns the current state of a job and every one of its tasks, read
// a page of jobTaskPage tasks at a time, so that a job of thousands comes in
// answers of bounded size. The job's state and counts are those of the last
// page; tasks of earlier pages may have moved on since, which matters only
// while the job runs.
func (c *Client) Job(ctx context.Context, id string) (api.Job, error) {
	var job api.Job
	var tasks []api.Task
	for page := ""; ; {
		q := url.Values{"limit": {strconv.Itoa(jobTaskPage)}}
		if page != "" {
			q.Set("page_token", page)
		}
		if err := c.getJob(ctx, id, q, &job); err != nil {
			return api.Job{}, err
		}
		tasks = append(tasks, job.Tasks...)
		// A server without pages sends every task and no token.
		if page = job.NextPageToken; page == "" {
			break
		}
	}
	job.Tasks = tasks
	return job, nil
}

// jobTaskPage is how many tasks Job asks for at once: the server's most. A
// variable so that tests can page small jobs.
var jobTaskPage = 1000

// JobSummary returns the state of a job, its counts and its number of
// tasks, without the tasks: an answer of a few hundred bytes whatever the
// job's size, for polling.
func (c *Client) JobSummary(ctx context.Context, id string) (api.Job, error) {
	var job api.Job
	if err := c.getJob(ctx, id, url.Values{"view": {"summary"}}, &job); err != nil {
		return api.Job{}, err
	}
	// A server without summaries sends the tasks too; a summary has none.
	job.Tasks = nil
	return job, nil
}

func (c *Client) getJob(ctx context.Context, id string, q url.Values, job *api.Job) error {
	what := fmt.Sprintf("get job %q", id)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("v1", "jobs", id)+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("client: %s: %w", what, err)
	}
	*job = api.Job{}
	return c.exchange(req, what, job)
}

// Jobs returns a page of the caller's jobs, newest first: limit of them (0
// for the server's default), from the start when page is "", else from the
// next page a call before returned. next is "" after the last page.
func (c *Client) Jobs(ctx context.Context, page string, limit int) (jobs []api.JobSummary, next string, err error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if page != "" {
		q.Set("page_token", page)
	}
	u := c.url("v1", "jobs")
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", fmt.Errorf("client: list jobs: %w", err)
	}
	var body api.JobList
	if err := c.exchange(req, "list jobs", &body); err != nil {
		return nil, "", err
	}
	return body.Jobs, body.NextPageToken, nil
}

// Output copies the edited picture of one task into w and returns its
// content type.
func (c *Client) Output(ctx context.Context, jobID, taskID string, w io.Writer) (contentType string, err error) {
	what := fmt.Sprintf("get output of task %q in job %q", taskID, jobID)
	return c.download(ctx, what, w, "v1", "jobs", jobID, "tasks", taskID, "output")
}

// Archive copies a zip of all the job's outputs into w.
func (c *Client) Archive(ctx context.Context, jobID string, w io.Writer) error {
	_, err := c.download(ctx, fmt.Sprintf("get archive of job %q", jobID), w, "v1", "jobs", jobID, "archive")
	return err
}

// url joins the base URL and path segments, escaping each segment so an id
// can never add path elements or a query.
func (c *Client) url(segments ...string) string {
	escaped := make([]string, len(segments))
	for i, s := range segments {
		escaped[i] = url.PathEscape(s)
	}
	return c.base + "/" + strings.Join(escaped, "/")
}

// send does one request. Context errors come back unchanged so callers can
// test them with errors.Is; the transport's own *url.Error would hide them
// behind the URL.
func (c *Client) send(req *http.Request, what string) (*http.Response, error) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("client: %s: %w", what, err)
	}
	return resp, nil
}

// exchange sends req and decodes its JSON answer into out. The body of an
// error answer is decoded into out too, because the upload answer lists
// each file's reason even when no file was accepted.
func (c *Client) exchange(req *http.Request, what string, out any) error {
	resp, err := c.send(req, what)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBody+1))
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("client: %s: read answer: %w", what, err)
	}
	if len(body) > maxJSONBody {
		return fmt.Errorf("client: %s: answer larger than %d bytes", what, maxJSONBody)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_ = json.Unmarshal(body, out)
		return fmt.Errorf("client: %s: %w", what, newAPIError(resp.StatusCode, body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("client: %s: decode answer: %w", what, err)
	}
	return nil
}

// download streams the answer of a GET into w.
func (c *Client) download(ctx context.Context, what string, w io.Writer, segments ...string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(segments...), nil)
	if err != nil {
		return "", fmt.Errorf("client: %s: %w", what, err)
	}
	resp, err := c.send(req, what)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return "", fmt.Errorf("client: %s: %w", what, newAPIError(resp.StatusCode, body))
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return "", ctxErr
		}
		return "", fmt.Errorf("client: %s: %w", what, err)
	}
	return resp.Header.Get("Content-Type"), nil
}
