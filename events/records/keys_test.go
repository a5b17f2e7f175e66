package records

import "testing"

func TestOwnsKey(t *testing.T) {
	tests := []struct {
		owner, key string
		want       bool
	}{
		{"o_a", ImageKey("o_a", "img"), true},
		{"o_a", OutputKey("o_a", "job", "task", ".png"), true},
		{"o_a", ImageKey("o_b", "img"), false},
		{"o_a", ImageKey("o_ab", "img"), false},
		{"o_ab", ImageKey("o_a", "img"), false},
		{"o_a", PreviewKey("o_a", "job", "task"), true},
		{"o_a", PreviewKey("o_b", "job", "task"), false},
		{"o_a", OwnerPrefixes("o_a")[0], false},
		{"o_a", "originals/o_a/../o_b/img", false},
		{"o_a", "originals/o_a/./img", false},
		{"o_a", "originals/o_a//img", false},
		{"o_a", "/originals/o_a/img", false},
		{"o_a", "records/o_a/img", false},
		{"o_a", "originals/img", false},
		{"o_a", "results/job/task.jpg", false},
		{"o_a", "records/images/img.json", false},
		{"", "originals/img", false},
		{LocalOwner, ImageKey(LocalOwner, "img"), true},
		{LocalOwner, "originals/img", true},
		{LocalOwner, "results/job/task.jpg", true},
		{LocalOwner, "originals/", false},
		{LocalOwner, "originals/job/img", false},
		{LocalOwner, "results/task.jpg", false},
		{LocalOwner, "previews/job/task.webp", false},
		{LocalOwner, "records/images/img.json", false},
		{LocalOwner, ImageKey("o_a", "img"), false},
		// An owner with a slash cannot reach another's prefix.
		{"o_a/../o_b", "originals/o_b/img", false},
		{"o_a/x", "originals/o_a/x/img", false},
	}
	for _, tt := range tests {
		if got := OwnsKey(tt.owner, tt.key); got != tt.want {
			t.Errorf("OwnsKey(%q, %q) = %v, want %v", tt.owner, tt.key, got, tt.want)
		}
	}
}
