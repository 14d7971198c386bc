// hbtest: one static, standard-library-only program with the behaviours hardbake's runtime
// tests need inside a shell-less image (it is the image's only executable).
//
//	hbtest sleep [SECONDS]          idle (forever without SECONDS)
//	hbtest memhog [MIB [DELAY_MS]]  allocate and touch MIB (8) every DELAY_MS (20) until the OOM killer strikes
//	hbtest cpuhog THREADS ON OFF CYCLES
//	                                busy-loop THREADS goroutines for ON seconds, idle OFF seconds,
//	                                CYCLES times (0 = forever); prints "busy"/"idle" at each phase
//	hbtest forkbomb                 fork as fast as possible; children only pause(2)
//	hbtest fscheck                  write to / and /tmp, exec a copy of itself from /tmp; prints JSON
//	hbtest httpd ADDR               serve GET /healthz (200 "ok") and / on ADDR
//	hbtest probe URL                exit 0 when GET URL answers 200 (a healthcheck without a shell)
//	hbtest exit CODE                exit with CODE
//	hbtest true                     exit 0 (what fscheck execs from /tmp)
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hbtest sleep|memhog|cpuhog|forkbomb|fscheck|httpd|probe|exit|true ...")
		os.Exit(2)
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "sleep":
		sleep(args)
	case "memhog":
		memhog(args)
	case "cpuhog":
		cpuhog(args)
	case "forkbomb":
		forkbomb()
	case "fscheck":
		fscheck()
	case "httpd":
		httpd(args)
	case "probe":
		probe(args)
	case "exit":
		code, _ := strconv.Atoi(arg(args, 0, "0"))
		os.Exit(code)
	case "true":
		os.Exit(0)
	default:
		fmt.Fprintf(os.Stderr, "hbtest: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}

func arg(args []string, i int, def string) string {
	if i < len(args) {
		return args[i]
	}
	return def
}

func num(args []string, i int, def int) int {
	n, err := strconv.Atoi(arg(args, i, strconv.Itoa(def)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "hbtest: %q is not a number\n", args[i])
		os.Exit(2)
	}
	return n
}

func sleep(args []string) {
	if len(args) == 0 {
		forever()
	}
	time.Sleep(time.Duration(num(args, 0, 0)) * time.Second)
}

var hoard [][]byte

func memhog(args []string) {
	step := num(args, 0, 8) << 20
	delay := time.Duration(num(args, 1, 20)) * time.Millisecond
	for total := 0; ; total += step {
		b := make([]byte, step)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // touch every page so it is really resident
		}
		hoard = append(hoard, b)
		fmt.Printf("allocated %d MiB\n", (total+step)>>20)
		time.Sleep(delay)
	}
}

func cpuhog(args []string) {
	threads, on, off, cycles := num(args, 0, 1), num(args, 1, 3600), num(args, 2, 0), num(args, 3, 1)
	runtime.GOMAXPROCS(threads + 1)
	for c := 0; cycles == 0 || c < cycles; c++ {
		fmt.Println("busy")
		deadline := time.Now().Add(time.Duration(on) * time.Second)
		done := make(chan struct{})
		for t := 0; t < threads; t++ {
			go func() {
				x := 0
				for time.Now().Before(deadline) {
					for i := 0; i < 1000000; i++ {
						x += i
					}
				}
				_ = x
				done <- struct{}{}
			}()
		}
		for t := 0; t < threads; t++ {
			<-done
		}
		fmt.Println("idle")
		time.Sleep(time.Duration(off) * time.Second)
	}
	forever()
}

// forever idles without tripping the runtime's "all goroutines are asleep" check.
func forever() {
	for {
		time.Sleep(time.Hour)
	}
}

// rawFork forks with the raw system call: the child never returns into the Go runtime (it has
// none of the parent's threads), it only waits for a signal, so each child is exactly one task
// in the pids cgroup and the parent's runtime never has to create a thread to fork.
//
//go:nosplit
func rawFork() (uintptr, syscall.Errno) {
	pid, _, errno := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
	if errno == 0 && pid == 0 {
		for {
			syscall.RawSyscall(syscall.SYS_PAUSE, 0, 0, 0)
		}
	}
	return pid, errno
}

func forkbomb() {
	forked, failed := 0, 0
	for {
		_, errno := rawFork()
		if errno != 0 {
			failed++
			if failed == 1 || failed%50 == 0 {
				fmt.Printf("fork refused after %d children: %v (%d refusals)\n", forked, errno, failed)
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		forked++
	}
}

func fscheck() {
	result := map[string]string{}
	outcome := func(err error) string {
		if err == nil {
			return "ok"
		}
		return err.Error()
	}
	result["root_write"] = outcome(os.WriteFile("/hbtest-probe", []byte("x"), 0o600))
	result["tmp_write"] = outcome(os.WriteFile("/tmp/hbtest-probe", []byte("x"), 0o600))
	self, err := os.ReadFile("/proc/self/exe")
	if err == nil {
		err = os.WriteFile("/tmp/hbtest-copy", self, 0o755)
	}
	if err == nil {
		err = exec.Command("/tmp/hbtest-copy", "true").Run()
	}
	result["tmp_exec"] = outcome(err)
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}

func httpd(args []string) {
	addr := arg(args, 0, "127.0.0.1:8080")
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hbtest\n")
	})
	fmt.Println("listening on", addr)
	if err := http.ListenAndServe(addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func probe(args []string) {
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(arg(args, 0, "http://127.0.0.1:8080/healthz"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "status", resp.StatusCode)
		os.Exit(1)
	}
}
