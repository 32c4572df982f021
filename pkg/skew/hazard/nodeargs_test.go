package hazard

import (
	"reflect"
	"testing"
)

func TestParseNodeArgs(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    []Arg
		wantErr bool
	}{
		{"separate value", `["server","--kubelet-arg","max-pods=110"]`, []Arg{{"kubelet-arg", "max-pods=110"}}, false},
		{"equals", `["agent","--kubelet-arg=max-pods=110"]`, []Arg{{"kubelet-arg", "max-pods=110"}}, false},
		{"boolean before flag", `["server","--disable-helm-controller","--token","********"]`,
			[]Arg{{"disable-helm-controller", "true"}, {"token", "********"}}, false},
		{"boolean last", `["server","--cluster-init"]`, []Arg{{"cluster-init", "true"}}, false},
		{"empty", `[]`, nil, false},
		{"not json", `server --x`, nil, true},
		{"not strings", `[1,2]`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNodeArgs(tt.raw)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestPassThrough(t *testing.T) {
	args, _ := ParseNodeArgs(`["server","--kubelet-arg","--cloud-config=/x","--kubelet-arg=max-pods=9","--kube-proxy-arg","proxy-mode=ipvs"]`)
	got := PassThrough(args, "kubelet")
	if got["cloud-config"] != "/x" || got["max-pods"] != "9" || len(got) != 2 {
		t.Fatalf("kubelet pass-through = %v", got)
	}
	if PassThrough(args, "kube-proxy")["proxy-mode"] != "ipvs" {
		t.Fatal("kube-proxy pass-through lost")
	}
}

func FuzzParseNodeArgs(f *testing.F) {
	f.Add(`["server","--kubelet-arg","max-pods=110"]`)
	f.Add(`["--a=b","--","-"]`)
	f.Fuzz(func(t *testing.T, raw string) {
		args, err := ParseNodeArgs(raw)
		if err != nil {
			return
		}
		for _, a := range args {
			if a.Flag == "" {
				t.Fatalf("empty flag from %q", raw)
			}
		}
		index := passThroughIndex(args)
		for _, c := range []string{"kubelet", "kube-apiserver", "kube-proxy", "etcd"} {
			want, got := PassThrough(args, c), index[c]
			if len(want) != len(got) {
				t.Fatalf("%s: index %v, PassThrough %v", c, got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("%s %s: index %q, PassThrough %q", c, k, got[k], v)
				}
			}
		}
	})
}
