import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.rmi.RemoteException;
import java.rmi.registry.LocateRegistry;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Java RMI client of the benchmark: it looks Bench up in the server's
 * registry and runs one workload the way bench/workload.go runs it for
 * the Go systems (warm-up, then measured calls, each checked). Around the
 * measured part it prints START and STOP and waits for a line on stdin,
 * while the Go process that started it reads both processes' CPU clocks;
 * then it prints "LATS n" and the n measured latencies in nanoseconds, one
 * a line, and exits.
 *
 * The JVM compiles the call path only once it has run for a while, so
 * warming up takes WARM calls and at least JIT_WARM_MS milliseconds, and
 * W2's warm-up at least as long.
 *
 * Usage: BenchClient host:port JIT_WARM_MS add WARM N
 *        BenchClient host:port JIT_WARM_MS concurrent CALLERS WARM_MS RUN_MS
 *        BenchClient host:port JIT_WARM_MS echo SIZE WARM N
 */
public final class BenchClient {
    private static final BufferedReader in = new BufferedReader(new InputStreamReader(System.in));

    /** When the warm-up may end, at the soonest (System.nanoTime). */
    private static long warmUntil;

    public static void main(String[] args) throws Exception {
        int colon = args[0].lastIndexOf(':');
        String host = args[0].substring(0, colon);
        int port = Integer.parseInt(args[0].substring(colon + 1));
        long jitWarmMs = Long.parseLong(args[1]);
        Bench b = (Bench) LocateRegistry.getRegistry(host, port).lookup("bench");
        warmUntil = System.nanoTime() + jitWarmMs * 1_000_000;
        long[] lats;
        switch (args[2]) {
            case "add":
                lats = add(b, Integer.parseInt(args[3]), Integer.parseInt(args[4]));
                break;
            case "concurrent":
                lats = concurrent(b, Integer.parseInt(args[3]), Math.max(Long.parseLong(args[4]), jitWarmMs), Long.parseLong(args[5]));
                break;
            case "echo":
                lats = echo(b, Integer.parseInt(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]));
                break;
            default:
                throw new IllegalArgumentException("unknown workload " + args[2] + ": want add, concurrent or echo");
        }
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false);
        out.println("LATS " + lats.length);
        for (long l : lats) {
            out.println(l);
        }
        out.flush();
        System.exit(out.checkError() ? 1 : 0);
    }

    /** Says what, and waits for the parent's go-ahead. */
    static void mark(String what) throws IOException {
        System.out.println(what);
        System.out.flush();
        if (in.readLine() == null) {
            throw new EOFException("the bench program closed stdin");
        }
    }

    static void addOnce(Bench b, long a) throws RemoteException {
        long sum = b.add(a, 1);
        if (sum != a + 1) {
            throw new IllegalStateException("add(" + a + ", 1) = " + sum);
        }
    }

    /** W1: one caller, add after add. */
    static long[] add(Bench b, int warm, int n) throws Exception {
        for (int i = 0; i < warm || System.nanoTime() < warmUntil; i++) {
            addOnce(b, i);
        }
        long[] lats = new long[n];
        mark("START");
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            addOnce(b, i);
            lats[i] = System.nanoTime() - t;
        }
        mark("STOP");
        return lats;
    }

    /**
     * W2: callers threads sharing the one stub, for a fixed time after a
     * warm-up; calls that end inside the window count.
     */
    static long[] concurrent(Bench b, int callers, long warmMs, long runMs) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        long[][] lats = new long[callers][];
        int[] counts = new int[callers];
        Thread[] threads = new Thread[callers];
        for (int i = 0; i < callers; i++) {
            int me = i;
            lats[me] = new long[1 << 16];
            threads[me] = new Thread(() -> {
                try {
                    for (long n = 0; !stop.get(); n++) {
                        long t = System.nanoTime();
                        addOnce(b, n);
                        if (measuring.get()) {
                            if (counts[me] == lats[me].length) {
                                lats[me] = Arrays.copyOf(lats[me], 2 * lats[me].length);
                            }
                            lats[me][counts[me]++] = System.nanoTime() - t;
                        }
                    }
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                    stop.set(true);
                }
            });
            threads[me].start();
        }
        Thread.sleep(warmMs);
        mark("START");
        measuring.set(true);
        Thread.sleep(runMs);
        measuring.set(false);
        mark("STOP");
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        if (failed.get() != null) {
            throw new Exception("a caller failed", failed.get());
        }
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        long[] all = new long[total];
        int k = 0;
        for (int i = 0; i < callers; i++) {
            System.arraycopy(lats[i], 0, all, k, counts[i]);
            k += counts[i];
        }
        return all;
    }

    static void echoOnce(Bench b, byte[] p) throws RemoteException {
        byte[] r = b.echo(p);
        int n = p.length;
        if (r.length != n || r[0] != p[0] || r[n - 1] != p[n - 1]) {
            throw new IllegalStateException("echo of " + n + " bytes returned " + r.length + " different bytes");
        }
    }

    /** W3: one caller echoing size bytes after size bytes. */
    static long[] echo(Bench b, int size, int warm, int n) throws Exception {
        byte[] p = new byte[size];
        new Random().nextBytes(p);
        // One full comparison, so a system that mangles payloads cannot
        // pass on its ends alone.
        if (!Arrays.equals(b.echo(p), p)) {
            throw new IllegalStateException("echo of " + size + " bytes: wrong reply");
        }
        for (int i = 0; i < warm || System.nanoTime() < warmUntil; i++) {
            echoOnce(b, p);
        }
        long[] lats = new long[n];
        mark("START");
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            echoOnce(b, p);
            lats[i] = System.nanoTime() - t;
        }
        mark("STOP");
        return lats;
    }
}
