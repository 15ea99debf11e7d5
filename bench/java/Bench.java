import java.rmi.Remote;
import java.rmi.RemoteException;

/**
 * The benchmark's remote interface for Java RMI: Add and Echo, as
 * svc.Bench declares them for objrmi.
 */
public interface Bench extends Remote {
    long add(long a, long b) throws RemoteException;

    byte[] echo(byte[] p) throws RemoteException;
}
