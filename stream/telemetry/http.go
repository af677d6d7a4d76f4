package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ReadyFunc reports whether the service can do its work: nil when it can.
// The service passes one that pings Kafka and Redis. It must return within
// ctx's deadline (ReadyTimeout).
type ReadyFunc func(ctx context.Context) error

// ReadyTimeout bounds one readiness check. Kubernetes' probe timeout should
// be longer (the chart sets 3s).
const ReadyTimeout = 2 * time.Second

// Handler serves
//
//   - /metrics: every metric in the Prometheus text format;
//   - /healthz: 200 while the process serves HTTP at all (liveness);
//   - /readyz: 200 when ready returns nil, 503 with the reason otherwise
//     (readiness). A nil ready is always ready.
func (t *Telemetry) Handler(ready ReadyFunc) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{
		ErrorLog:          promLogger{t},
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          t.registry, // counts its own scrape errors
		EnableOpenMetrics: false,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
			defer cancel()
			if err := ready(ctx); err != nil {
				t.log.Debug("not ready", "err", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = fmt.Fprintf(w, "not ready: %v\n", err)
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// promLogger passes promhttp's collection errors to the process log.
type promLogger struct{ t *Telemetry }

func (l promLogger) Println(v ...any) { l.t.log.Warn("metrics collection", "err", fmt.Sprint(v...)) }

// ListenAndServe serves Handler(ready) on addr (Config.Metrics.Listen,
// ":9464" by default) until ctx ends, then shuts the server down within 5s.
// It returns nil after ctx ends, or the error that stopped the server.
func (t *Telemetry) ListenAndServe(ctx context.Context, addr string, ready ReadyFunc) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	return t.Serve(ctx, ln, ready)
}

// Serve is ListenAndServe on a listener the caller opened; it closes ln.
func (t *Telemetry) Serve(ctx context.Context, ln net.Listener, ready ReadyFunc) error {
	srv := &http.Server{
		Handler:           t.Handler(ready),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()

	select {
	case err := <-done:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
