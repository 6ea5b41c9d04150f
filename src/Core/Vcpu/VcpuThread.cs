using Glue.Core.Bus;
using Glue.Core.Interop;
using Glue.Core.Kvm;
using Glue.Core.Kvm.Uapi;
using Glue.Core.Machine;
using static Glue.Core.Kvm.KvmIoctls;

namespace Glue.Core.Vcpu;

/// <summary>
/// One vCPU's thread: enter the guest with KVM_RUN, handle the exit in place in kvm_run, repeat. Port and
/// MMIO exits go to the buses; exits that end the VM are reported to the machine with a clear message.
/// </summary>
public sealed class VcpuThread
{
    // Offset of kvm_run.mmio.data: the union starts at 32 and phys_addr takes 8 bytes.
    private const int MmioDataOffset = 40;

    private readonly KvmVcpu _vcpu;
    private readonly AddressBus _ports;
    private readonly AddressBus _mmio;
    private readonly VirtualMachine _machine;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _started = new();
    private readonly object _gate = new();
    private volatile bool _stopping;
    private volatile bool _pauseRequested;
    private bool _parked;
    private nuint _pthread;
    private Action<KvmVcpu>? _restore;
    private Action<KvmVcpu>? _work;

    /// <param name="restore">A snapshot's state to set on the thread itself before its first KVM_RUN; the thread then waits held, as after <see cref="Pause"/>.</param>
    public VcpuThread(KvmVcpu vcpu, VirtualMachine machine, Action<KvmVcpu>? restore = null)
    {
        _vcpu = vcpu;
        _restore = restore;
        _pauseRequested = restore is not null;
        _machine = machine;
        _ports = machine.Ports;
        _mmio = machine.Mmio;
        _thread = new Thread(Loop) { Name = $"vcpu{vcpu.Id}", IsBackground = true };
    }

    public void Start()
    {
        VcpuKickSignal.EnsureInstalled();
        _thread.Start();
        _started.Wait();
    }

    /// <summary>Makes the thread leave KVM_RUN and end; waits up to <paramref name="timeout"/> for it.</summary>
    public bool Stop(TimeSpan timeout)
    {
        _stopping = true;
        Kick();
        lock (_gate) Monitor.PulseAll(_gate);
        return _thread.Join(timeout);
    }

    /// <summary>Takes the vCPU out of the guest and holds it; returns once it is held (or has ended).</summary>
    public void Pause()
    {
        _pauseRequested = true;
        Kick();
        lock (_gate)
        {
            while (!_parked && _thread.IsAlive) Monitor.Wait(_gate, TimeSpan.FromMilliseconds(50));
        }
    }

    /// <summary>Lets a held vCPU run again.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            _pauseRequested = false;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on this vCPU's thread while it is held by <see cref="Pause"/> (KVM wants vCPU
    /// ioctls from the thread that runs the vCPU), and returns its result; its exception is thrown here.
    /// </summary>
    public T WhileHeld<T>(Func<KvmVcpu, T> work)
    {
        T result = default!;
        Exception? failure = null;
        lock (_gate)
        {
            if (!_parked) throw new InvalidOperationException($"vCPU {_vcpu.Id} is not held");
            _work = vcpu =>
            {
                try
                {
                    result = work(vcpu);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            };
            Monitor.PulseAll(_gate);
            while (_work is not null && _thread.IsAlive) Monitor.Wait(_gate, TimeSpan.FromMilliseconds(50));
        }
        if (failure is not null) throw failure;
        return result;
    }

    /// <summary>immediate_exit before the signal: a kick that lands just before KVM_RUN still makes it return EINTR.</summary>
    private void Kick()
    {
        Volatile.Write(ref _vcpu.Run.immediate_exit, 1);
        VcpuKickSignal.Send(_pthread);
    }

    /// <summary>Called between runs: holds the thread while a pause is requested.</summary>
    private void HoldWhilePaused()
    {
        Volatile.Write(ref _vcpu.Run.immediate_exit, 0);
        if (!_pauseRequested) return;
        // Tell the guest's kvmclock it was stopped on purpose, so its soft-lockup watchdog stays quiet. From this
        // thread, as every vCPU ioctl but the asynchronous ones (KVM's api.rst); from another, it loaded the vCPU there.
        _vcpu.TryNotifyClockPaused();
        lock (_gate)
        {
            _parked = true;
            Monitor.PulseAll(_gate);
            while (_pauseRequested && !_stopping)
            {
                if (_work is { } work)
                {
                    work(_vcpu);
                    _work = null;
                    Monitor.PulseAll(_gate);
                }
                else Monitor.Wait(_gate);
            }
            _parked = false;
        }
    }

    private void Loop()
    {
        Sandbox.SeccompFilters.Enter(Sandbox.ThreadKind.Vcpu);
        _pthread = VcpuKickSignal.PthreadSelf();
        _started.Set();
        if (_vcpu.Id == 0) _machine.Timeline.Mark("first KVM_RUN");
        try
        {
            if (_restore is { } restore)
            {
                _restore = null;
                restore(_vcpu);
            }
            while (!_stopping)
            {
                HoldWhilePaused();
                if (_stopping) break;
                int errno = _vcpu.Enter();
                if (errno is Libc.EINTR or Libc.EAGAIN) continue; // a kick, or (PVM) an AP that waited for INIT
                if (errno != 0)
                {
                    _machine.RequestExit(new VmExit(VmExitKind.Failure, $"vCPU {_vcpu.Id}: KVM_RUN failed: {Libc.ErrorText(errno)}"));
                    return;
                }
                if (HandleExit() is { } exit)
                {
                    _machine.RequestExit(exit);
                    return;
                }
            }
        }
        catch (Exception e)
        {
            _machine.RequestExit(new VmExit(VmExitKind.Failure, $"vCPU {_vcpu.Id}: {e.Message}"));
        }
    }

    /// <summary>Handles one exit; returns why the VM must end, or null to run on.</summary>
    private VmExit? HandleExit()
    {
        ref var run = ref _vcpu.Run;
        switch (run.exit_reason)
        {
            case KVM_EXIT_IO:
                HandleIo(ref run.io);
                return null;
            case KVM_EXIT_MMIO:
                HandleMmio(ref run.mmio);
                return null;
            case KVM_EXIT_INTR:
                return null;
            case KVM_EXIT_HLT:
                return new VmExit(VmExitKind.PowerOff, $"vCPU {_vcpu.Id} halted with interrupts off (KVM_EXIT_HLT)");
            case KVM_EXIT_SHUTDOWN:
                return new VmExit(VmExitKind.Failure, $"vCPU {_vcpu.Id} triple-faulted (KVM_EXIT_SHUTDOWN) at rip=0x{_vcpu.GetRegs().rip:x}");
            case KVM_EXIT_SYSTEM_EVENT:
                return run.system_event.type switch
                {
                    KVM_SYSTEM_EVENT_SHUTDOWN => new VmExit(VmExitKind.PowerOff, "guest powered off"),
                    KVM_SYSTEM_EVENT_RESET => new VmExit(VmExitKind.Reset, "guest reset"),
                    KVM_SYSTEM_EVENT_CRASH => new VmExit(VmExitKind.Failure, "guest crashed (KVM_SYSTEM_EVENT_CRASH)"),
                    var type => new VmExit(VmExitKind.Failure, $"unknown system event {type}"),
                };
            case KVM_EXIT_FAIL_ENTRY:
                return new VmExit(VmExitKind.Failure,
                    $"vCPU {_vcpu.Id}: KVM could not enter the guest (KVM_EXIT_FAIL_ENTRY, hardware reason 0x{run.fail_entry.hardware_entry_failure_reason:x})");
            case KVM_EXIT_INTERNAL_ERROR:
                return new VmExit(VmExitKind.Failure, InternalErrorReport.Describe(_vcpu, _machine.Memory, ref run));
            default:
                return new VmExit(VmExitKind.Failure, $"vCPU {_vcpu.Id}: unhandled exit reason {run.exit_reason}");
        }
    }

    private void HandleIo(ref kvm_run_io io)
    {
        // String I/O (rep ins/outs) hands over count items of size bytes, back to back.
        var data = _vcpu.RunPage.Slice((int)io.data_offset, io.size * (int)io.count);
        for (int i = 0; i < (int)io.count; i++)
        {
            var item = data.Slice(i * io.size, io.size);
            if (io.direction == KVM_EXIT_IO_OUT) _ports.Write(io.port, item);
            else _ports.Read(io.port, item);
        }
    }

    private void HandleMmio(ref kvm_run_mmio mmio)
    {
        var data = _vcpu.RunPage.Slice(MmioDataOffset, (int)Math.Min(mmio.len, 8u));
        if (mmio.is_write != 0) _mmio.Write(mmio.phys_addr, data);
        else _mmio.Read(mmio.phys_addr, data);
    }
}
