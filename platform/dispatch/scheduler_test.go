package dispatch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// step is one call on a Scheduler: add a job (owner, job, tasks) or take n.
type step struct {
	add   string // "owner/job/tasks", e.g. "a/j1/3"
	take  int
	want  string // picks taken, "owner/job/index" joined by spaces
	held  int    // Held after the step
	check bool
}

func TestScheduler(t *testing.T) {
	tests := []struct {
		name    string
		weights map[string]int
		steps   []step
	}{
		{
			name: "alone an owner takes every slot (work-conserving)",
			steps: []step{
				{add: "a/j1/5"},
				{take: 8, want: "a/j1/0 a/j1/1 a/j1/2 a/j1/3 a/j1/4", held: 0, check: true},
			},
		},
		{
			name: "within an owner, jobs in submission order and tasks in job order",
			steps: []step{
				{add: "a/j1/2"}, {add: "a/j2/2"},
				{take: 3, want: "a/j1/0 a/j1/1 a/j2/0", held: 1, check: true},
				{add: "a/j3/1"},
				{take: 5, want: "a/j2/1 a/j3/0", held: 0, check: true},
			},
		},
		{
			name: "equal weights alternate, the newcomer first",
			steps: []step{
				{add: "a/j1/4"}, {add: "b/j2/4"},
				{take: 6, want: "b/j2/0 a/j1/0 b/j2/1 a/j1/1 b/j2/2 a/j1/2", held: 2, check: true},
			},
		},
		{
			name: "a newcomer goes next, behind one task of the big job",
			steps: []step{
				{add: "a/big/1000"},
				{take: 16, held: 984},
				{add: "b/one/1"},
				{take: 1, want: "b/one/0", held: 984, check: true},
				{take: 2, want: "a/big/16 a/big/17", held: 982, check: true},
			},
		},
		{
			name:    "weights 2:1 give 2:1 shares",
			weights: map[string]int{"a": 2},
			steps: []step{
				{add: "a/j1/10"}, {add: "b/j2/10"},
				{take: 9, want: "b/j2/0 a/j1/0 a/j1/1 b/j2/1 a/j1/2 a/j1/3 b/j2/2 a/j1/4 a/j1/5", held: 11, check: true},
			},
		},
		{
			name: "three owners, one slot at a time, round robin",
			steps: []step{
				{add: "a/j1/3"}, {add: "b/j2/3"}, {add: "c/j3/3"},
				{take: 1, want: "c/j3/0", check: true, held: 8},
				{take: 1, want: "b/j2/0", check: true, held: 7},
				{take: 1, want: "a/j1/0", check: true, held: 6},
				{take: 1, want: "c/j3/1", check: true, held: 5},
			},
		},
		{
			name: "an owner that empties leaves; the other gets every slot",
			steps: []step{
				{add: "a/j1/1"}, {add: "b/j2/5"},
				{take: 4, want: "b/j2/0 a/j1/0 b/j2/1 b/j2/2", held: 2, check: true},
			},
		},
		{
			name: "nothing held, nothing taken",
			steps: []step{
				{take: 3, want: "", held: 0, check: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScheduler(Config{Weights: tt.weights}.weight)
			for i, st := range tt.steps {
				if st.add != "" {
					var owner, job string
					var n int
					if _, err := fmt.Sscanf(strings.ReplaceAll(st.add, "/", " "), "%s %s %d", &owner, &job, &n); err != nil {
						t.Fatal(err)
					}
					idx := make([]int, n)
					for k := range idx {
						idx[k] = k
					}
					s.Add(owner, job, idx)
					continue
				}
				var got []string
				for _, p := range s.Next(st.take) {
					got = append(got, fmt.Sprintf("%s/%s/%d", p.Owner, p.Job, p.Index))
				}
				if !st.check {
					continue
				}
				if diff := cmp.Diff(st.want, strings.Join(got, " ")); diff != "" {
					t.Errorf("step %d: picks (-want +got):\n%s", i, diff)
				}
				if s.Held() != st.held {
					t.Errorf("step %d: %d held, want %d", i, s.Held(), st.held)
				}
			}
		})
	}
}

// TestSchedulerShares runs two backlogged owners for many slots and checks
// each owner's share against its weight.
func TestSchedulerShares(t *testing.T) {
	tests := []struct {
		weights  map[string]int
		wantA    float64
		slotsPer int
	}{
		{nil, 0.5, 1},
		{nil, 0.5, 7},
		{map[string]int{"a": 3}, 0.75, 1},
		{map[string]int{"a": 3}, 0.75, 16},
		{map[string]int{"b": 4}, 0.2, 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.weights, tt.slotsPer), func(t *testing.T) {
			s := NewScheduler(Config{Weights: tt.weights}.weight)
			idx := make([]int, 10000)
			for i := range idx {
				idx[i] = i
			}
			s.Add("a", "ja", idx)
			s.Add("b", "jb", idx)
			counts := map[string]int{}
			for range 1000 / tt.slotsPer {
				for _, p := range s.Next(tt.slotsPer) {
					counts[p.Owner]++
				}
			}
			got := float64(counts["a"]) / float64(counts["a"]+counts["b"])
			if got < tt.wantA-0.01 || got > tt.wantA+0.01 {
				t.Errorf("a got %.3f of the slots (%v), want %.2f", got, counts, tt.wantA)
			}
		})
	}
}
