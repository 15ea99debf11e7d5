import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;

/**
 * The Java RMI server of the benchmark: a registry and the Bench object,
 * both on one anonymous loopback port, the object bound as "bench". It
 * prints "ADDR 127.0.0.1:port" and exits when its stdin closes, so it
 * never outlives the bench program. The registry, the distributed GC
 * (its lease set by java.rmi.dgc.leaseValue on the command line) and the
 * JVM's other settings are Java's defaults.
 */
public final class BenchServer implements Bench {
    /** Keeps the exported object strongly reachable for the process's life. */
    static BenchServer impl;

    @Override
    public long add(long a, long b) {
        return a + b;
    }

    @Override
    public byte[] echo(byte[] p) {
        return p;
    }

    public static void main(String[] args) throws Exception {
        Loopback sockets = new Loopback();
        Registry registry = LocateRegistry.createRegistry(0, null, sockets);
        int port = sockets.port;
        impl = new BenchServer();
        Bench stub = (Bench) UnicastRemoteObject.exportObject(impl, 0, null, sockets);
        registry.bind("bench", stub);
        System.out.println("ADDR 127.0.0.1:" + port);
        System.out.flush();
        while (System.in.read() != -1) {
            // Only the end of stdin matters.
        }
        System.exit(0);
    }

    /**
     * Listens on loopback only, and remembers the port it was given, since
     * an anonymous port (0) is chosen by the kernel.
     */
    static final class Loopback implements RMIServerSocketFactory {
        volatile int port;

        @Override
        public ServerSocket createServerSocket(int p) throws IOException {
            ServerSocket s = new ServerSocket(p, 128, InetAddress.getLoopbackAddress());
            port = s.getLocalPort();
            return s;
        }
    }
}
