using Glue.Core.Boot;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Glue.Core.Bus;
using Glue.Core.Control;
using Glue.Core.Firmware;
using Glue.Core.Firmware.Acpi;
using Glue.Core.Kvm;
using Glue.Core.Kvm.Uapi;
using Glue.Core.Memory;
using Glue.Core.Pci;
using Glue.Core.Snapshot;
using Glue.Core.Vcpu;
using Microsoft.Win32.SafeHandles;

namespace Glue.Core.Machine;

/// <summary>
/// One VM: the KVM handles, guest RAM, the port and MMIO buses devices sit on, and the vCPU threads.
/// Built in order: <see cref="Create"/> (VM, irqchip, PIT, memory), devices attach and describe themselves,
/// <see cref="Boot"/> (firmware tables and kernel into memory), <see cref="Run"/> (vCPUs start; returns when the VM ends).
/// </summary>
public sealed class VirtualMachine : IDevicePlatform, IDisposable
{
    private static readonly TimeSpan VcpuStopTimeout = TimeSpan.FromSeconds(2);

    private readonly KvmSystem _kvm;
    private readonly KvmVm _vm;
    private readonly List<KvmVcpu> _vcpus = [];
    private readonly List<VcpuThread> _threads = [];
    private readonly List<IDisposable> _devices = [];
    private readonly List<PlatformDevice> _platformDevices = [];
    private readonly List<string> _kernelParameters = [];
    private readonly List<string> _linuxDefaults = [];
    private readonly Dictionary<Type, object> _shared = [];
    private PciBus? _pci;
    private readonly ManualResetEventSlim _exited = new();
    private VmExit? _exit;
    private BootEntry? _entry;
    private readonly SortedDictionary<string, ISnapshotPart> _snapshotParts = new(StringComparer.Ordinal);
    private readonly List<string> _withoutSnapshot = [];
    private SnapshotState? _restore;
    private VcpuSnapshot.Capabilities? _snapshotCapabilities;
    private bool _vcpusStopped = true;
    private readonly object _stateLock = new();

    private VirtualMachine(MachineConfig config, KvmSystem kvm, KvmVm vm, GuestMemory memory, StartupTimeline timeline)
    {
        Config = config;
        _kvm = kvm;
        _vm = vm;
        Memory = memory;
        Timeline = timeline;
        Resources = new MachineResources(config.MemoryBytes);
        Routing = new GsiRouting(table => vm.SetGsiRouting(table));
    }

    public MachineConfig Config { get; }
    public GuestMemory Memory { get; }
    public AddressBus Ports { get; } = new("port I/O");
    public AddressBus Mmio { get; } = new("MMIO");
    public StartupTimeline Timeline { get; }

    public MachineResources Resources { get; }

    public GsiRouting Routing { get; }

    public PciBus Pci => _pci ?? CreatePci();

    private PciBus CreatePci()
    {
        _pci = PciBus.Create(Ports, Mmio);
        AddSnapshotPart("pci", _pci);
        return _pci;
    }

    /// <summary>Control requests the VM's components serve (a display's SCREENSHOT).</summary>
    public ControlHandlers ControlHandlers { get; } = new();

    /// <summary>
    /// True on a PVM host, where KVM's instruction emulator runs all guest CPL0 code: features it cannot emulate
    /// are then hidden from the guest (see <see cref="GuestCpuid"/>).
    /// </summary>
    public static bool EmulatedKernelMode => KvmSystem.IsPvmHost;

    /// <summary>Running or paused, as pause and resume left it.</summary>
    public VmState State { get; private set; } = VmState.Running;

    /// <summary>Opens KVM, creates the VM with its in-kernel irqchip and PIT, and maps guest RAM.</summary>
    /// <param name="memoryFile">A snapshot's memory file to map copy-on-write as guest RAM, instead of fresh memory.</param>
    public static VirtualMachine Create(MachineConfig config, StartupTimeline timeline, SafeFileHandle? memoryFile = null)
    {
        var kvm = KvmSystem.Open();
        try
        {
            config.Validate(kvm.MaxVcpus, MachineConfig.HostMemoryBytes());
            var vm = kvm.CreateVm();
            vm.SetTssAddress(MemoryLayout.VmxTss.Value);
            vm.SetIdentityMapAddress(MemoryLayout.VmxIdentityMap.Value);
            vm.CreateIrqChip();
            vm.CreatePit2();
            // Emulation failures at any CPL come to us with the instruction bytes instead of a #UD in the guest.
            vm.TryEnableCapability(KvmIoctls.KVM_CAP_EXIT_ON_EMULATION_FAILURE);
            timeline.Mark("VM created");

            var memory = memoryFile is null
                ? new GuestMemory(MemoryLayout.RamRanges(config.MemoryBytes).Select(r => new GuestRegion(r.Start, r.Size)).ToList())
                : MemoryFile.Map(memoryFile, config.MemoryBytes);
            var regions = memory.Regions;
            for (int slot = 0; slot < regions.Count; slot++)
            {
                vm.SetUserMemoryRegion((uint)slot, regions[slot].Start.Value, regions[slot].Size, regions[slot].HostAddress);
            }
            timeline.Mark("memory mapped");
            var machine = new VirtualMachine(config, kvm, vm, memory, timeline);
            machine.Ports.Register(SleepControlRegister.Port, SleepControlRegister.Length,
                new SleepControlRegister(() => machine.RequestExit(new VmExit(VmExitKind.PowerOff, "the guest powered off (ACPI S5)"))));
            return machine;
        }
        catch
        {
            kvm.Dispose();
            throw;
        }
    }

    public IInterruptLine InterruptLine(uint gsi) => new KvmIrqLine(_vm, gsi);

    public T Shared<T>() where T : class, new()
    {
        lock (_shared)
        {
            if (!_shared.TryGetValue(typeof(T), out var shared)) _shared.Add(typeof(T), shared = new T());
            return (T)shared;
        }
    }

    public void Own(IDisposable device) => _devices.Add(device);

    public void Describe(PlatformDevice device) => _platformDevices.Add(device);

    public void AddSnapshotPart(string name, ISnapshotPart part)
    {
        if (!_snapshotParts.TryAdd(name, part)) throw new ArgumentException($"two devices keep snapshot state as '{name}'", nameof(name));
    }

    public void HasNoSnapshot(string device) => _withoutSnapshot.Add(device);

    /// <summary>The devices that keep snapshot state, by name.</summary>
    public int SnapshotPartCount => _snapshotParts.Count;

    public void AddKernelParameter(string parameter) => _kernelParameters.Add(parameter);

    public void AddLinuxDefault(string parameter) => _linuxDefaults.Add(parameter);

    public void AssignIoEventFd(SafeHandle eventFd, ulong address, uint length, ulong? datamatch) =>
        _vm.AssignIoEventFd(eventFd, address, length, datamatch);

    public void DeassignIoEventFd(SafeHandle eventFd, ulong address, uint length, ulong? datamatch) =>
        _vm.DeassignIoEventFd(eventFd, address, length, datamatch);

    public void AssignIrqFd(SafeHandle eventFd, uint gsi) => _vm.AssignIrqFd(eventFd, gsi);

    /// <summary>Writes the firmware tables, then loads the kernel, initrd and command line into guest memory; returns where it starts.</summary>
    /// <param name="image">The kernel and initrd, read and checked against this VM's RAM before the VM was made.</param>
    public BootEntry Boot(BootImage image)
    {
        // A machine with a PCI bus describes its host bridge and ECAM; one without tells Linux not to probe for one.
        var devices = _pci is null ? _platformDevices : [.. _pci.AcpiDevices(Resources), .. _platformDevices];
        GuestAddress rsdp = FirmwareTables.Write(Memory, new PlatformDescription(Config.Cpus, devices, _pci?.Ecam));
        IReadOnlyList<string> linuxDefaults = _pci is null ? [.. _linuxDefaults, "pci=off"] : _linuxDefaults;
        IReadOnlyList<MemoryMapEntry> reserved = _pci is null ? [] : [new(_pci.Ecam.Base, _pci.Ecam.Size, MemoryType.Reserved)];
        // On PVM, leaf 1 still shows XSAVE to CPL0 whatever KVM_SET_CPUID2 says, so Linux is told as well.
        string[] linuxParameters = EmulatedKernelMode ? ["clearcpuid=xsave"] : [];
        _entry = KernelLoader.Load(Memory, image, new BootPlatform(_kernelParameters, linuxParameters, rsdp, linuxDefaults, reserved));
        Timeline.Mark("kernel loaded");
        return _entry;
    }

    /// <summary>
    /// In place of <see cref="Boot"/>: sets the VM's in-kernel state and every device's from a snapshot now, and has
    /// <see cref="Run"/> give each vCPU its saved state on its own thread. Devices must be attached first, and be the
    /// snapshot's devices; <paramref name="paused"/> leaves the vCPUs held until `glue resume`.
    /// </summary>
    public void Restore(SnapshotState state, string option, bool paused)
    {
        if (_withoutSnapshot.Count > 0) throw new SnapshotException($"{option}: device '{_withoutSnapshot[0]}' cannot be restored from a snapshot yet");
        if (state.Machine != Config) throw new SnapshotException($"{option}: the snapshot is of a machine with {state.Machine.Cpus} vCPUs and {state.Machine.MemoryBytes} bytes of RAM");
        if (state.Vcpus.Count != Config.Cpus) throw new SnapshotException($"{option}: part 'vcpus' holds {state.Vcpus.Count} vCPUs, the machine has {Config.Cpus}");
        foreach (var (name, _) in state.Devices)
        {
            if (!_snapshotParts.ContainsKey(name)) throw new SnapshotException($"{option}: part 'devices' has device '{name}', which this glue run does not");
        }
        var saved = _snapshotParts.Keys.ToDictionary(name => name,
            name => state.Devices[name] as JsonObject ?? throw new SnapshotException($"{option}: part 'devices' has no device '{name}', which this glue run has"));
        // The irqchip first: a device that raises its line again on restore must find the chip it raises it on.
        Fields(option, "part 'vm'", () => VmSnapshot.Restore(_vm, state.Vm));
        foreach (var (name, part) in _snapshotParts) Fields(option, $"device '{name}'", () => part.Restore(saved[name]));
        _restore = state;
        if (paused) State = VmState.Paused;
        Timeline.Mark("snapshot state set");
    }

    private static void Fields(string option, string part, Action restore)
    {
        try
        {
            restore();
        }
        catch (SnapshotException e)
        {
            throw new SnapshotException($"{option}: {part}: {e.Message}");
        }
    }

    /// <summary>
    /// `glue snapshot`: refuses a VM with a device that keeps no snapshot state (it runs on), otherwise pauses the VM
    /// (it stays paused), takes each vCPU's state on its thread, the VM's and each device's, and writes DIR.
    /// </summary>
    public void Snapshot(string directory, SnapshotOrigin origin)
    {
        if (_withoutSnapshot.Count > 0) throw new SnapshotException($"device '{_withoutSnapshot[0]}' cannot be saved in a snapshot yet");
        lock (_stateLock)
        {
            if (_threads.Count != Config.Cpus) throw new SnapshotException("the VM has not started its vCPUs yet");
        }
        Pause();
        var capabilities = _snapshotCapabilities!;
        var vcpus = new JsonArray([.. _threads.Select(t => (JsonNode)t.WhileHeld(vcpu => VcpuSnapshot.Save(vcpu, capabilities)))]);
        var devices = new JsonObject();
        try
        {
            foreach (var (name, part) in _snapshotParts) devices[name] = part.Save();
            SnapshotDirectory.Write(directory, origin, new SnapshotState(Config, vcpus, VmSnapshot.Save(_vm), devices), Memory);
        }
        finally
        {
            // Devices that held still while RAM was written go on (the vCPUs stay paused).
            foreach (var (_, part) in _snapshotParts) part.AfterSave();
        }
    }

    /// <summary>Creates and starts the vCPUs and blocks until the VM ends; returns why it ended.</summary>
    public VmExit Run()
    {
        var restore = _restore;
        var entry = _entry;
        if (entry is null && restore is null) throw new InvalidOperationException("Boot or Restore must come before Run");
        ReadOnlySpan<kvm_cpuid_entry2> cpuid = _kvm.GetSupportedCpuid();
        bool emulatedKernelMode = EmulatedKernelMode;
        if (emulatedKernelMode) Timeline.Mark("PVM host: CMPXCHG16B and XSAVE hidden from CPUID");
        // Asked of /dev/kvm in set-up: the control thread that takes a snapshot later may make no system ioctl.
        _snapshotCapabilities = VcpuSnapshot.Query(_kvm);
        for (int id = 0; id < Config.Cpus; id++)
        {
            var vcpu = _vm.CreateVcpu(id);
            _vcpus.Add(vcpu);
            VcpuSetup.Configure(vcpu, cpuid, Config.Cpus, emulatedKernelMode);
            // The other vCPUs wait in the in-kernel LAPIC for INIT and SIPI from the boot vCPU.
            if (id == 0 && entry is not null) VcpuSetup.SetEntryState(vcpu, entry);
        }
        lock (_stateLock)
        {
            foreach (var vcpu in _vcpus)
            {
                var saved = restore?.Vcpus[vcpu.Id] as JsonObject;
                _threads.Add(new VcpuThread(vcpu, this, saved is null ? null : v => VcpuSnapshot.Restore(v, saved)));
            }
            foreach (var thread in _threads)
            {
                thread.Start();
                // A pause that came over the control socket before the vCPUs existed holds them from the start; a
                // restored vCPU starts held, and runs once all are restored.
                if (State == VmState.Paused || restore is not null) thread.Pause();
            }
            if (restore is not null)
            {
                // Every restored vCPU is held with its state set: the devices may interrupt it now.
                foreach (var (_, part) in _snapshotParts) part.AfterRestore();
                if (State == VmState.Running)
                {
                    foreach (var thread in _threads) thread.Resume();
                }
            }
        }
        // Its set-up done, the main thread takes its own filter (the vCPU threads, started before, do not inherit it).
        Sandbox.SeccompFilters.Enter(Sandbox.ThreadKind.Main);

        _exited.Wait();
        foreach (var thread in _threads) _vcpusStopped &= thread.Stop(VcpuStopTimeout);
        return _exit!;
    }

    /// <summary>Holds every vCPU outside the guest; false if the VM was already paused.</summary>
    public bool Pause()
    {
        lock (_stateLock)
        {
            if (State == VmState.Paused) return false;
            foreach (var thread in _threads) thread.Pause();
            State = VmState.Paused;
            return true;
        }
    }

    /// <summary>Lets the vCPUs run again; false if the VM was not paused.</summary>
    public bool Resume()
    {
        lock (_stateLock)
        {
            if (State != VmState.Paused) return false;
            foreach (var thread in _threads) thread.Resume();
            State = VmState.Running;
            return true;
        }
    }

    public void RequestExit(VmExit exit)
    {
        if (Interlocked.CompareExchange(ref _exit, exit, null) is null) _exited.Set();
    }

    public void Dispose()
    {
        foreach (var device in _devices) device.Dispose();
        // A vCPU thread still inside KVM_RUN would touch its kvm_run page and guest RAM: leave those to process exit.
        if (_vcpusStopped)
        {
            foreach (var vcpu in _vcpus) vcpu.Dispose();
            Memory.Dispose();
        }
        _vm.Dispose();
        _kvm.Dispose();
    }
}
