# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Field tables of the config files kubeadm reads (data; kubeadm_schema.py validates against them).

A table: one line per upstream field (some 360). Covered:
kubeadm.k8s.io v1beta3 (kubeadm 1.22 and later) as one table, and v1beta4 (1.31 and later) as
what it changes (``_KUBEADM_DELTAS``); kubelet.config.k8s.io/v1beta1 KubeletConfiguration and
kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration. Field names and types follow the
upstream Go types (kubeadm's apis/kubeadm/v1beta3 and v1beta4, bootstraptoken/v1, core/v1 Taint,
k8s.io/kubelet config/v1beta1, k8s.io/kube-proxy config/v1alpha1). ``since``/``until`` give the
Kubernetes minor (1.x) a field first / last appeared in for the kubelet and kube-proxy types, read
off their release tags 1.22 to 1.36; the kubeadm types list what each API version has.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# --- type notation -----------------------------------------------------------------------------
# A type is a tuple: ("str",), ("int",), ("bool",), ("float",), ("duration",) (a Go duration
# string such as 4m0s), ("time",) (RFC 3339), ("quantity",) (100m, 2Gi or a number),
# ("any",) (free-form; not checked), ("list", T), ("map", T) (string keys), ("obj", "TypeName").

S = ("str",)
I = ("int",)  # noqa: E741 (the table reads better with one-letter type names)
B = ("bool",)
FLOAT = ("float",)
D = ("duration",)
TIME = ("time",)
Q = ("quantity",)
ANY = ("any",)


def L(elem):
    return ("list", elem)


def M(value):
    return ("map", value)


def O(name):  # noqa: E743
    return ("obj", name)


class Field(object):
    """One field: its type, and optionally the Kubernetes minors it exists in, allowed values, required."""

    __slots__ = ("type", "since", "until", "choices", "required")

    def __init__(self, type_, since=None, until=None, choices=None, required=False):
        self.type = type_
        self.since = since
        self.until = until
        self.choices = choices
        self.required = required


F = Field

KUBEADM_GROUP = "kubeadm.k8s.io"
KUBELET_API = "kubelet.config.k8s.io/v1beta1"
KUBE_PROXY_API = "kubeproxy.config.k8s.io/v1alpha1"

# kubeadm reads v1beta4 from 1.31 on; v1beta3 from 1.22 on.
KUBEADM_API_SINCE = {"v1beta3": 22, "v1beta4": 31}

_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_HOST_PATH_TYPES = ("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
                    "BlockDevice")

# --- kubeadm.k8s.io: one table, and what each later API version changes ---------------------------
# The table is v1beta3 (kubeadm 1.22 on): its own types, bootstraptoken/v1 BootstrapToken and core/v1
# Taint. _KUBEADM_DELTAS says what a later version changes, type by type: a field given a Field is
# added or retyped, a field given None is gone, a type the table lacks is new and listed whole.
_KUBEADM = {
    "InitConfiguration": {
        "bootstrapTokens": F(L(O("BootstrapToken"))),
        "nodeRegistration": F(O("NodeRegistrationOptions")),
        "localAPIEndpoint": F(O("APIEndpoint")),
        "certificateKey": F(S),
        "skipPhases": F(L(S)),
        "patches": F(O("Patches")),
    },
    "ClusterConfiguration": {
        "etcd": F(O("Etcd")),
        "networking": F(O("Networking")),
        "kubernetesVersion": F(S),
        "controlPlaneEndpoint": F(S),
        "apiServer": F(O("APIServer")),
        "controllerManager": F(O("ControlPlaneComponent")),
        "scheduler": F(O("ControlPlaneComponent")),
        "dns": F(O("DNS")),
        "certificatesDir": F(S),
        "imageRepository": F(S),
        "featureGates": F(M(B)),
        "clusterName": F(S),
    },
    "JoinConfiguration": {
        "nodeRegistration": F(O("NodeRegistrationOptions")),
        "caCertPath": F(S),
        "discovery": F(O("Discovery"), required=True),
        "controlPlane": F(O("JoinControlPlane")),
        "skipPhases": F(L(S)),
        "patches": F(O("Patches")),
    },
    # bootstraptoken/v1 BootstrapToken (InitConfiguration.bootstrapTokens)
    "BootstrapToken": {
        "token": F(S, required=True),
        "description": F(S),
        "ttl": F(D),
        "expires": F(TIME),
        "usages": F(L(S)),
        "groups": F(L(S)),
    },
    # core/v1 Taint
    "Taint": {
        "key": F(S, required=True),
        "value": F(S),
        "effect": F(S, choices=_EFFECTS, required=True),
        "timeAdded": F(TIME),
    },
    "APIEndpoint": {
        "advertiseAddress": F(S),
        "bindPort": F(I),
    },
    "Networking": {
        "serviceSubnet": F(S),
        "podSubnet": F(S),
        "dnsDomain": F(S),
    },
    "Etcd": {
        "local": F(O("LocalEtcd")),
        "external": F(O("ExternalEtcd")),
    },
    "LocalEtcd": {
        "imageRepository": F(S),
        "imageTag": F(S),
        "dataDir": F(S),
        "extraArgs": F(M(S)),
        "serverCertSANs": F(L(S)),
        "peerCertSANs": F(L(S)),
    },
    "ExternalEtcd": {
        "endpoints": F(L(S), required=True),
        "caFile": F(S),
        "certFile": F(S),
        "keyFile": F(S),
    },
    "ControlPlaneComponent": {
        "extraArgs": F(M(S)),
        "extraVolumes": F(L(O("HostPathMount"))),
    },
    "APIServer": {
        "extraArgs": F(M(S)),
        "extraVolumes": F(L(O("HostPathMount"))),
        "certSANs": F(L(S)),
        "timeoutForControlPlane": F(D),
    },
    "DNS": {
        "imageRepository": F(S),
        "imageTag": F(S),
    },
    "NodeRegistrationOptions": {
        "name": F(S),
        "criSocket": F(S),
        "taints": F(L(O("Taint"))),
        "kubeletExtraArgs": F(M(S)),
        "ignorePreflightErrors": F(L(S)),
        "imagePullPolicy": F(S, choices=_PULL_POLICIES),
    },
    "JoinControlPlane": {
        "localAPIEndpoint": F(O("APIEndpoint")),
        "certificateKey": F(S),
    },
    "Discovery": {
        "bootstrapToken": F(O("BootstrapTokenDiscovery")),
        "file": F(O("FileDiscovery")),
        "tlsBootstrapToken": F(S),
        "timeout": F(D),
    },
    "BootstrapTokenDiscovery": {
        "token": F(S, required=True),
        "apiServerEndpoint": F(S),
        "caCertHashes": F(L(S)),
        "unsafeSkipCAVerification": F(B),
    },
    "FileDiscovery": {
        "kubeConfigPath": F(S, required=True),
    },
    "HostPathMount": {
        "name": F(S, required=True),
        "hostPath": F(S, required=True),
        "mountPath": F(S, required=True),
        "readOnly": F(B),
        "pathType": F(S, choices=_HOST_PATH_TYPES),
    },
    "Patches": {
        "directory": F(S),
    },
}

_TIMEOUTS = F(O("Timeouts"))
_ARGS = F(L(O("Arg")))
_ENVS = F(L(O("EnvVar")))

_KUBEADM_DELTAS = {
    # v1beta4 (kubeadm 1.31): extraArgs/kubeletExtraArgs become lists of {name, value} (duplicates
    # allowed), timeouts move into a Timeouts struct (APIServer.timeoutForControlPlane and
    # Discovery.timeout are gone), plus dryRun, extraEnvs, proxy/dns.disabled, encryptionAlgorithm,
    # certificate validity periods, imagePullSerial, and the Reset/Upgrade configurations.
    "v1beta4": {
        "InitConfiguration": {"dryRun": F(B), "timeouts": _TIMEOUTS},
        "ClusterConfiguration": {
            "proxy": F(O("Proxy")),
            "encryptionAlgorithm": F(S, choices=("RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384")),
            "certificateValidityPeriod": F(D),
            "caCertificateValidityPeriod": F(D),
        },
        "JoinConfiguration": {"dryRun": F(B), "timeouts": _TIMEOUTS},
        "LocalEtcd": {"extraArgs": _ARGS, "extraEnvs": _ENVS},
        "ControlPlaneComponent": {"extraArgs": _ARGS, "extraEnvs": _ENVS},
        "APIServer": {"extraArgs": _ARGS, "extraEnvs": _ENVS, "timeoutForControlPlane": None},
        "DNS": {"disabled": F(B)},
        "Proxy": {"disabled": F(B)},
        "NodeRegistrationOptions": {"kubeletExtraArgs": _ARGS, "imagePullSerial": F(B)},
        "Discovery": {"timeout": None},
        "ResetConfiguration": {
            "cleanupTmpDir": F(B),
            "certificatesDir": F(S),
            "criSocket": F(S),
            "dryRun": F(B),
            "force": F(B),
            "ignorePreflightErrors": F(L(S)),
            "skipPhases": F(L(S)),
            "unmountFlags": F(L(S), choices=("MNT_FORCE", "MNT_DETACH", "MNT_EXPIRE", "UMOUNT_NOFOLLOW")),
            "timeouts": _TIMEOUTS,
        },
        "UpgradeConfiguration": {
            "apply": F(O("UpgradeApplyConfiguration")),
            "diff": F(O("UpgradeDiffConfiguration")),
            "node": F(O("UpgradeNodeConfiguration")),
            "plan": F(O("UpgradePlanConfiguration")),
            "timeouts": _TIMEOUTS,
        },
        "UpgradeApplyConfiguration": {
            "kubernetesVersion": F(S),
            "allowExperimentalUpgrades": F(B),
            "allowRCUpgrades": F(B),
            "certificateRenewal": F(B),
            "dryRun": F(B),
            "etcdUpgrade": F(B),
            "forceUpgrade": F(B),
            "ignorePreflightErrors": F(L(S)),
            "patches": F(O("Patches")),
            "printConfig": F(B),
            "skipPhases": F(L(S)),
            "imagePullPolicy": F(S, choices=_PULL_POLICIES),
            "imagePullSerial": F(B),
        },
        "UpgradeDiffConfiguration": {
            "kubernetesVersion": F(S),
            "contextLines": F(I),
        },
        "UpgradeNodeConfiguration": {
            "certificateRenewal": F(B),
            "dryRun": F(B),
            "etcdUpgrade": F(B),
            "ignorePreflightErrors": F(L(S)),
            "skipPhases": F(L(S)),
            "patches": F(O("Patches")),
            "imagePullPolicy": F(S, choices=_PULL_POLICIES),
            "imagePullSerial": F(B),
        },
        "UpgradePlanConfiguration": {
            "kubernetesVersion": F(S),
            "allowExperimentalUpgrades": F(B),
            "allowRCUpgrades": F(B),
            "dryRun": F(B),
            "ignorePreflightErrors": F(L(S)),
            "printConfig": F(B),
        },
        "Arg": {
            "name": F(S, required=True),
            "value": F(S),
        },
        # core/v1 EnvVar, inlined
        "EnvVar": {
            "name": F(S, required=True),
            "value": F(S),
            "valueFrom": F(ANY),
        },
        "Timeouts": {
            "controlPlaneComponentHealthCheck": F(D),
            "kubeletHealthCheck": F(D),
            "kubernetesAPICall": F(D),
            "etcdAPICall": F(D),
            "tlsBootstrap": F(D),
            "discovery": F(D),
            "upgradeManifests": F(D),
        },
    },
}


def _with_delta(table, delta):
    """``table`` with ``delta`` applied (a copy): a Field adds or retypes a field, None removes it (a
    field that is not there is a KeyError at import: a delta that names a field wrongly never loads)."""
    types = dict((name, dict(fields)) for name, fields in table.items())
    for type_name, changes in delta.items():
        fields = types.setdefault(type_name, {})
        for key, field in changes.items():
            if field is None:
                del fields[key]
            else:
                fields[key] = field
    return types


# --- kubelet.config.k8s.io/v1beta1 ----------------------------------------------------------------
_KUBELET = {
    "KubeletConfiguration": {
        "enableServer": F(B),
        "staticPodPath": F(S),
        "podLogsDir": F(S, since=30),
        "syncFrequency": F(D),
        "fileCheckFrequency": F(D),
        "httpCheckFrequency": F(D),
        "staticPodURL": F(S),
        "staticPodURLHeader": F(M(L(S))),
        "address": F(S),
        "port": F(I),
        "readOnlyPort": F(I),
        "tlsCertFile": F(S),
        "tlsPrivateKeyFile": F(S),
        "tlsCipherSuites": F(L(S)),
        "tlsCurvePreferences": F(L(I), since=36),
        "tlsMinVersion": F(S),
        "rotateCertificates": F(B),
        "serverTLSBootstrap": F(B),
        "authentication": F(O("KubeletAuthentication")),
        "authorization": F(O("KubeletAuthorization")),
        "registryPullQPS": F(I),
        "registryBurst": F(I),
        "imagePullCredentialsVerificationPolicy": F(S, since=33),
        "preloadedImagesVerificationAllowlist": F(L(S), since=33),
        "eventRecordQPS": F(I),
        "eventBurst": F(I),
        "enableDebuggingHandlers": F(B),
        "enableContentionProfiling": F(B),
        "healthzPort": F(I),
        "healthzBindAddress": F(S),
        "oomScoreAdj": F(I),
        "clusterDomain": F(S),
        "clusterDNS": F(L(S)),
        "streamingConnectionIdleTimeout": F(D),
        "nodeStatusUpdateFrequency": F(D),
        "nodeStatusReportFrequency": F(D),
        "nodeLeaseDurationSeconds": F(I),
        "imageMinimumGCAge": F(D),
        "imageMaximumGCAge": F(D, since=29),
        "imageGCHighThresholdPercent": F(I),
        "imageGCLowThresholdPercent": F(I),
        "volumeStatsAggPeriod": F(D),
        "kubeletCgroups": F(S),
        "systemCgroups": F(S),
        "cgroupRoot": F(S),
        "cgroupsPerQOS": F(B),
        "cgroupDriver": F(S, choices=("systemd", "cgroupfs")),
        "cpuManagerPolicy": F(S),
        "singleProcessOOMKill": F(B, since=32),
        "cpuManagerPolicyOptions": F(M(S)),
        "cpuManagerReconcilePeriod": F(D),
        "memoryManagerPolicy": F(S),
        "topologyManagerPolicy": F(S),
        "topologyManagerScope": F(S),
        "topologyManagerPolicyOptions": F(M(S), since=26),
        "qosReserved": F(M(S)),
        "runtimeRequestTimeout": F(D),
        "hairpinMode": F(S),
        "maxPods": F(I),
        "podCIDR": F(S),
        "podPidsLimit": F(I),
        "resolvConf": F(S),
        "runOnce": F(B),
        "cpuCFSQuota": F(B),
        "cpuCFSQuotaPeriod": F(D),
        "nodeStatusMaxImages": F(I),
        "maxOpenFiles": F(I),
        "contentType": F(S),
        "kubeAPIQPS": F(I),
        "kubeAPIBurst": F(I),
        "serializeImagePulls": F(B),
        "maxParallelImagePulls": F(I, since=27),
        "evictionHard": F(M(S)),
        "evictionSoft": F(M(S)),
        "evictionSoftGracePeriod": F(M(S)),
        "evictionPressureTransitionPeriod": F(D),
        "evictionMaxPodGracePeriod": F(I),
        "evictionMinimumReclaim": F(M(S)),
        "mergeDefaultEvictionSettings": F(B, since=33),
        "podsPerCore": F(I),
        "enableControllerAttachDetach": F(B),
        "protectKernelDefaults": F(B),
        "makeIPTablesUtilChains": F(B),
        "iptablesMasqueradeBit": F(I),
        "iptablesDropBit": F(I),
        "featureGates": F(M(B)),
        "failSwapOn": F(B),
        "memorySwap": F(O("MemorySwapConfiguration")),
        "containerLogMaxSize": F(S),
        "containerLogMaxFiles": F(I),
        "containerLogMaxWorkers": F(I, since=30),
        "containerLogMonitorInterval": F(D, since=30),
        "configMapAndSecretChangeDetectionStrategy": F(S, choices=("Get", "Cache", "Watch")),
        "systemReserved": F(M(S)),
        "kubeReserved": F(M(S)),
        "reservedSystemCPUs": F(S),
        "showHiddenMetricsForVersion": F(S),
        "systemReservedCgroup": F(S),
        "kubeReservedCgroup": F(S),
        "enforceNodeAllocatable": F(L(S)),
        "allowedUnsafeSysctls": F(L(S)),
        "volumePluginDir": F(S),
        "providerID": F(S),
        "kernelMemcgNotification": F(B),
        "logging": F(ANY),
        "enableSystemLogHandler": F(B),
        "enableSystemLogQuery": F(B, since=27),
        "shutdownGracePeriod": F(D),
        "shutdownGracePeriodCriticalPods": F(D),
        "shutdownGracePeriodByPodPriority": F(L(O("ShutdownGracePeriodByPodPriority")), since=23),
        "crashLoopBackOff": F(O("CrashLoopBackOffConfig"), since=32),
        "reservedMemory": F(L(O("MemoryReservation"))),
        "enableProfilingHandler": F(B),
        "enableDebugFlagsHandler": F(B),
        "seccompDefault": F(B),
        "memoryThrottlingFactor": F(FLOAT),
        "memoryReservationPolicy": F(S, since=36),
        "registerWithTaints": F(L(O("Taint")), since=23),
        "registerNode": F(B, since=23),
        "tracing": F(ANY, since=25),
        "localStorageCapacityIsolation": F(B, since=25),
        "containerRuntimeEndpoint": F(S, since=27),
        "imageServiceEndpoint": F(S, since=27),
        "failCgroupV1": F(B, since=31),
        "userNamespaces": F(O("UserNamespaces"), since=33),
    },
    "KubeletAuthentication": {
        "x509": F(O("KubeletX509Authentication")),
        "webhook": F(O("KubeletWebhookAuthentication")),
        "anonymous": F(O("KubeletAnonymousAuthentication")),
    },
    "KubeletX509Authentication": {
        "clientCAFile": F(S),
    },
    "KubeletWebhookAuthentication": {
        "enabled": F(B),
        "cacheTTL": F(D),
    },
    "KubeletAnonymousAuthentication": {
        "enabled": F(B),
    },
    "KubeletAuthorization": {
        "mode": F(S, choices=("AlwaysAllow", "Webhook")),
        "webhook": F(O("KubeletWebhookAuthorization")),
    },
    "KubeletWebhookAuthorization": {
        "cacheAuthorizedTTL": F(D),
        "cacheUnauthorizedTTL": F(D),
    },
    "MemoryReservation": {
        "numaNode": F(I),
        "limits": F(M(Q)),
    },
    "ShutdownGracePeriodByPodPriority": {
        "priority": F(I),
        "shutdownGracePeriodSeconds": F(I),
    },
    "MemorySwapConfiguration": {
        "swapBehavior": F(S),
    },
    "CrashLoopBackOffConfig": {
        "maxContainerRestartPeriod": F(D),
    },
    "UserNamespaces": {
        "idsPerPod": F(I),
    },
    "Taint": _KUBEADM["Taint"],
}

# --- kubeproxy.config.k8s.io/v1alpha1 -------------------------------------------------------------
_KUBE_PROXY = {
    "KubeProxyConfiguration": {
        "featureGates": F(M(B)),
        "bindAddress": F(S),
        "healthzBindAddress": F(S),
        "metricsBindAddress": F(S),
        "bindAddressHardFail": F(B),
        "enableProfiling": F(B),
        "showHiddenMetricsForVersion": F(S),
        "clusterCIDR": F(S),
        "hostnameOverride": F(S),
        "clientConnection": F(ANY),
        "logging": F(ANY, since=28),
        "iptables": F(O("KubeProxyIPTablesConfiguration")),
        "ipvs": F(O("KubeProxyIPVSConfiguration")),
        "nftables": F(O("KubeProxyNFTablesConfiguration"), since=29),
        "winkernel": F(O("KubeProxyWinkernelConfiguration")),
        "oomScoreAdj": F(I),
        "mode": F(S, choices=("", "iptables", "ipvs", "nftables", "kernelspace")),
        "portRange": F(S),
        "udpIdleTimeout": F(D, until=25),
        "conntrack": F(O("KubeProxyConntrackConfiguration")),
        "configSyncPeriod": F(D),
        "nodePortAddresses": F(L(S)),
        "detectLocalMode": F(S, choices=("", "ClusterCIDR", "NodeCIDR", "BridgeInterface", "InterfaceNamePrefix")),
        "detectLocal": F(O("DetectLocalConfiguration"), since=24),
        "windowsRunAsService": F(B, since=31),
    },
    "KubeProxyIPTablesConfiguration": {
        "masqueradeBit": F(I),
        "masqueradeAll": F(B),
        "localhostNodePorts": F(B, since=26),
        "syncPeriod": F(D),
        "minSyncPeriod": F(D),
    },
    "KubeProxyIPVSConfiguration": {
        "syncPeriod": F(D),
        "minSyncPeriod": F(D),
        "scheduler": F(S),
        "excludeCIDRs": F(L(S)),
        "strictARP": F(B),
        "tcpTimeout": F(D),
        "tcpFinTimeout": F(D),
        "udpTimeout": F(D),
    },
    "KubeProxyNFTablesConfiguration": {
        "masqueradeBit": F(I),
        "masqueradeAll": F(B),
        "syncPeriod": F(D),
        "minSyncPeriod": F(D),
    },
    "KubeProxyConntrackConfiguration": {
        "maxPerCore": F(I),
        "min": F(I),
        "tcpEstablishedTimeout": F(D),
        "tcpCloseWaitTimeout": F(D),
        "tcpBeLiberal": F(B, since=29),
        "udpTimeout": F(D, since=29),
        "udpStreamTimeout": F(D, since=29),
    },
    "KubeProxyWinkernelConfiguration": {
        "networkName": F(S),
        "sourceVip": F(S),
        "enableDSR": F(B),
        "rootHnsEndpointName": F(S, since=24),
        "forwardHealthCheckVip": F(B, since=24),
    },
    "DetectLocalConfiguration": {
        "bridgeInterface": F(S),
        "interfaceNamePrefix": F(S),
    },
}

# apiVersion -> (types, the kinds a document of that apiVersion may have)
APIS = {
    KUBEADM_GROUP + "/v1beta3": (_KUBEADM, ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration")),
    KUBEADM_GROUP + "/v1beta4": (_with_delta(_KUBEADM, _KUBEADM_DELTAS["v1beta4"]), ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration",
                                            "ResetConfiguration", "UpgradeConfiguration")),
    KUBELET_API: (_KUBELET, ("KubeletConfiguration",)),
    KUBE_PROXY_API: (_KUBE_PROXY, ("KubeProxyConfiguration",)),
}
