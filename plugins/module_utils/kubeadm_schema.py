# -*- coding: utf-8 -*-
# Copyright: aiplatform.cluster contributors
# Apache License 2.0 (see LICENSE)
"""Field tables of the config files kubeadm reads, and a validator over them.

Covered: kubeadm.k8s.io v1beta3 (kubeadm 1.22 and later) and v1beta4 (1.31 and later),
kubelet.config.k8s.io/v1beta1 KubeletConfiguration and kubeproxy.config.k8s.io/v1alpha1
KubeProxyConfiguration. Field names and types follow the upstream Go types (kubeadm's
apis/kubeadm/v1beta3 and v1beta4, bootstraptoken/v1, core/v1 Taint, k8s.io/kubelet
config/v1beta1, k8s.io/kube-proxy config/v1alpha1). ``since``/``until`` give the Kubernetes
minor (1.x) a field first / last appeared in for the kubelet and kube-proxy types, read off
their release tags 1.22 to 1.36; the kubeadm types list what each API version has.

kubeadm warns about and then drops a field it does not know, and rejects a value of the wrong
type; the kubelet does the same. ``validate_documents`` reports both before anything runs,
all at once, as plain sentences. Pure: no I/O.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

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

# --- types both kubeadm API versions share ------------------------------------------------------
_COMMON = {
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
    "ExternalEtcd": {
        "endpoints": F(L(S), required=True),
        "caFile": F(S),
        "certFile": F(S),
        "keyFile": F(S),
    },
    "JoinControlPlane": {
        "localAPIEndpoint": F(O("APIEndpoint")),
        "certificateKey": F(S),
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

_V1BETA3 = dict(_COMMON)
_V1BETA3.update({
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
    "LocalEtcd": {
        "imageRepository": F(S),
        "imageTag": F(S),
        "dataDir": F(S),
        "extraArgs": F(M(S)),
        "serverCertSANs": F(L(S)),
        "peerCertSANs": F(L(S)),
    },
    "JoinConfiguration": {
        "nodeRegistration": F(O("NodeRegistrationOptions")),
        "caCertPath": F(S),
        "discovery": F(O("Discovery"), required=True),
        "controlPlane": F(O("JoinControlPlane")),
        "skipPhases": F(L(S)),
        "patches": F(O("Patches")),
    },
    "Discovery": {
        "bootstrapToken": F(O("BootstrapTokenDiscovery")),
        "file": F(O("FileDiscovery")),
        "tlsBootstrapToken": F(S),
        "timeout": F(D),
    },
})

# v1beta4 (kubeadm 1.31): extraArgs/kubeletExtraArgs become lists of {name, value} (duplicates
# allowed), timeouts move into a Timeouts struct (APIServer.timeoutForControlPlane and
# Discovery.timeout are gone), plus dryRun, extraEnvs, proxy/dns.disabled, encryptionAlgorithm,
# certificate validity periods, imagePullSerial, and the Reset/Upgrade configurations.
_TIMEOUTS = F(O("Timeouts"))
_V1BETA4 = dict(_COMMON)
_V1BETA4.update({
    "InitConfiguration": {
        "bootstrapTokens": F(L(O("BootstrapToken"))),
        "dryRun": F(B),
        "nodeRegistration": F(O("NodeRegistrationOptions")),
        "localAPIEndpoint": F(O("APIEndpoint")),
        "certificateKey": F(S),
        "skipPhases": F(L(S)),
        "patches": F(O("Patches")),
        "timeouts": _TIMEOUTS,
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
        "proxy": F(O("Proxy")),
        "certificatesDir": F(S),
        "imageRepository": F(S),
        "featureGates": F(M(B)),
        "clusterName": F(S),
        "encryptionAlgorithm": F(S, choices=("RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384")),
        "certificateValidityPeriod": F(D),
        "caCertificateValidityPeriod": F(D),
    },
    "ControlPlaneComponent": {
        "extraArgs": F(L(O("Arg"))),
        "extraVolumes": F(L(O("HostPathMount"))),
        "extraEnvs": F(L(O("EnvVar"))),
    },
    "APIServer": {
        "extraArgs": F(L(O("Arg"))),
        "extraVolumes": F(L(O("HostPathMount"))),
        "extraEnvs": F(L(O("EnvVar"))),
        "certSANs": F(L(S)),
    },
    "DNS": {
        "imageRepository": F(S),
        "imageTag": F(S),
        "disabled": F(B),
    },
    "Proxy": {
        "disabled": F(B),
    },
    "NodeRegistrationOptions": {
        "name": F(S),
        "criSocket": F(S),
        "taints": F(L(O("Taint"))),
        "kubeletExtraArgs": F(L(O("Arg"))),
        "ignorePreflightErrors": F(L(S)),
        "imagePullPolicy": F(S, choices=_PULL_POLICIES),
        "imagePullSerial": F(B),
    },
    "LocalEtcd": {
        "imageRepository": F(S),
        "imageTag": F(S),
        "dataDir": F(S),
        "extraArgs": F(L(O("Arg"))),
        "extraEnvs": F(L(O("EnvVar"))),
        "serverCertSANs": F(L(S)),
        "peerCertSANs": F(L(S)),
    },
    "JoinConfiguration": {
        "dryRun": F(B),
        "nodeRegistration": F(O("NodeRegistrationOptions")),
        "caCertPath": F(S),
        "discovery": F(O("Discovery"), required=True),
        "controlPlane": F(O("JoinControlPlane")),
        "skipPhases": F(L(S)),
        "patches": F(O("Patches")),
        "timeouts": _TIMEOUTS,
    },
    "Discovery": {
        "bootstrapToken": F(O("BootstrapTokenDiscovery")),
        "file": F(O("FileDiscovery")),
        "tlsBootstrapToken": F(S),
    },
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
})

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
    "Taint": _COMMON["Taint"],
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
    KUBEADM_GROUP + "/v1beta3": (_V1BETA3, ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration")),
    KUBEADM_GROUP + "/v1beta4": (_V1BETA4, ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration",
                                            "ResetConfiguration", "UpgradeConfiguration")),
    KUBELET_API: (_KUBELET, ("KubeletConfiguration",)),
    KUBE_PROXY_API: (_KUBE_PROXY, ("KubeProxyConfiguration",)),
}

# Fields of which at most one may be set, and where one is needed.
_EXCLUSIVE = {
    "Etcd": (("local", "external"), False),
    "Discovery": (("bootstrapToken", "file"), True),
}

# kubeadm reads one document of each kind; init and join configurations do not go together.
_ONE_OF_EACH = ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration", "ResetConfiguration",
                "UpgradeConfiguration", "KubeletConfiguration", "KubeProxyConfiguration")

# Go's time.ParseDuration units; microseconds also as \u00b5s (micro sign) and \u03bcs (Greek mu).
_DURATION = re.compile(r"^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
_QUANTITY = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")


def kubeadm_api(api_version):
    """``v1beta4`` from ``v1beta4`` or ``kubeadm.k8s.io/v1beta4``; ValueError for another version."""
    text = str(api_version or "")
    group, _sep, short = text.rpartition("/")
    if group not in ("", KUBEADM_GROUP) or KUBEADM_GROUP + "/" + short not in APIS:
        raise ValueError("kubeadm API version '%s' is not one this collection knows (v1beta3, v1beta4)"
                         % api_version)
    return short


def known_fields(api_version, type_name):
    """The field names of ``type_name`` in ``api_version`` (a full apiVersion or a kubeadm short one)."""
    full = api_version if api_version in APIS else KUBEADM_GROUP + "/" + kubeadm_api(api_version)
    return sorted(APIS[full][0][type_name])


def _minor(k8s_version):
    if k8s_version is None:
        return None
    m = _VERSION.match(str(k8s_version).strip())
    if not m or m.group(1) != "1":
        raise ValueError("'%s' is not a Kubernetes version (expected 1.31.4)" % k8s_version)
    return int(m.group(2))


def _describe_value(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean %s" % ("true" if value else "false")
    if isinstance(value, int):
        return "integer %d" % value
    if isinstance(value, float):
        return "number %s" % value
    if isinstance(value, str):
        return "string '%s'" % (value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, dict):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def _describe_type(type_, types):
    kind = type_[0]
    if kind == "list":
        return "list of " + _describe_type(type_[1], types)
    if kind == "map":
        return "map of string to " + _describe_type(type_[1], types)
    if kind == "obj":
        fields = types[type_[1]]
        if len(fields) <= 3:
            return "{%s}" % ", ".join(fields)
        return "%s object" % type_[1]
    return {
        "str": "string",
        "int": "integer",
        "bool": "boolean",
        "float": "number",
        "duration": "duration (like 4m0s)",
        "time": "RFC 3339 time (like 2026-01-02T15:04:05Z)",
        "quantity": "quantity (like 500m or 2Gi)",
    }.get(kind, kind)


class _Walk(object):
    __slots__ = ("types", "label", "minor", "other", "problems")

    def __init__(self, types, label, minor, other, problems):
        self.types = types
        self.label = label  # "v1beta4" for kubeadm, the apiVersion otherwise
        self.minor = minor  # Kubernetes minor, or None (then since/until are not checked)
        self.other = other  # (label, types) of the other kubeadm API version, for hints
        self.problems = problems

    def add(self, path, message):
        self.problems.append("%s: %s" % (path, message))

    def value(self, value, type_, path):
        kind = type_[0]
        if value is None or kind == "any":
            return
        ok = True
        if kind == "str":
            ok = isinstance(value, str)
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "float":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind in ("duration", "time"):
            ok = isinstance(value, str)
            if ok and not (_DURATION if kind == "duration" else _TIME).match(value) and value != "0":
                self.add(path, "'%s' is not a %s" % (value, _describe_type(type_, self.types)))
                return
        elif kind == "quantity":
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
                isinstance(value, str) and bool(_QUANTITY.match(value)))
        elif kind == "list":
            ok = isinstance(value, (list, tuple))
            if ok:
                for i, item in enumerate(value):
                    self.value(item, type_[1], "%s[%d]" % (path, i))
        elif kind == "map":
            ok = isinstance(value, dict)
            if ok:
                for key, item in value.items():
                    if not isinstance(key, str):
                        self.add(path, "key %s is not a string" % _describe_value(key))
                    self.value(item, type_[1], "%s.%s" % (path, key))
        elif kind == "obj":
            ok = isinstance(value, dict)
            if ok:
                self.obj(value, type_[1], path)
        if not ok:
            self.add(path, "expected %s in %s, got %s"
                     % (_describe_type(type_, self.types), self.label, _describe_value(value)))

    def obj(self, data, type_name, path, top=False):
        fields = self.types[type_name]
        for key, value in data.items():
            if top and key in ("apiVersion", "kind"):
                continue
            sub = "%s.%s" % (path, key)
            field = fields.get(key)
            if field is None:
                self.add(sub, self._unknown(type_name, key, fields))
                continue
            if self.minor is not None and field.since and self.minor < field.since:
                self.add(sub, "needs Kubernetes 1.%d or later (this cluster runs 1.%d)" % (field.since, self.minor))
            if self.minor is not None and field.until and self.minor > field.until:
                self.add(sub, "was removed after Kubernetes 1.%d (this cluster runs 1.%d)" % (field.until, self.minor))
            self.value(value, field.type, sub)
            if field.choices is not None and value is not None:
                for i, item in enumerate(value if isinstance(value, list) else [value]):
                    if isinstance(item, str) and item not in field.choices:
                        where = sub if not isinstance(value, list) else "%s[%d]" % (sub, i)
                        self.add(where, "'%s' is not one of %s" % (item, ", ".join(repr(c) for c in field.choices)))
        for key, field in fields.items():
            if field.required and data.get(key) in (None, ""):
                self.add("%s.%s" % (path, key), "required field is missing")
        if type_name in _EXCLUSIVE:
            names, needed = _EXCLUSIVE[type_name]
            present = [n for n in names if data.get(n) is not None]
            if len(present) > 1:
                self.add(path, "%s are mutually exclusive: set one" % " and ".join(present))
            elif needed and not present:
                self.add(path, "needs one of %s" % ", ".join(names))

    def _unknown(self, type_name, key, fields):
        message = "unknown field in %s" % self.label
        if self.other and key in self.other[1].get(type_name, {}):
            return message + " (%s has it)" % self.other[0]
        close = difflib.get_close_matches(key, list(fields), n=1)
        if close:
            message += " (did you mean %s?)" % close[0]
        return message


def validate_documents(docs, api_version, k8s_version=None):
    """Problems of the config documents that ``kubeadm init|join --config`` would read, as sentences;
    an empty list when they are clean.

    ``api_version`` is the kubeadm API the documents were rendered for (``v1beta4`` or
    ``kubeadm.k8s.io/v1beta4``). With ``k8s_version``, fields the kubelet or kube-proxy of that
    Kubernetes minor does not have, and v1beta4 before 1.31, are reported too.
    """
    short = kubeadm_api(api_version)
    minor = _minor(k8s_version)
    expected = KUBEADM_GROUP + "/" + short
    other_short = "v1beta3" if short == "v1beta4" else "v1beta4"
    other = (other_short, APIS[KUBEADM_GROUP + "/" + other_short][0])
    problems = []
    if minor is not None and minor < KUBEADM_API_SINCE[short]:
        problems.append("kubeadm 1.%d does not read %s (it does from 1.%d on)"
                        % (minor, short, KUBEADM_API_SINCE[short]))
    if not isinstance(docs, (list, tuple)):
        return problems + ["documents: expected a list of documents, got %s" % _describe_value(docs)]
    seen = {}
    for index, doc in enumerate(docs):
        where = "documents[%d]" % index
        if not isinstance(doc, dict):
            problems.append("%s: expected a mapping (one YAML document), got %s" % (where, _describe_value(doc)))
            continue
        kind, api = doc.get("kind"), doc.get("apiVersion")
        label = kind if isinstance(kind, str) and kind else where
        if not api:
            problems.append("%s: apiVersion is missing" % label)
        if not kind:
            problems.append("%s: kind is missing" % label)
        if not api or not kind:
            continue
        if not isinstance(api, str) or not isinstance(kind, str):
            problems.append("%s: apiVersion and kind must be strings" % where)
            continue
        if api.startswith(KUBEADM_GROUP + "/") and api != expected:
            problems.append("%s: apiVersion %s, but these documents are rendered for %s" % (label, api, expected))
            continue
        if api not in APIS:
            problems.append("%s: unknown apiVersion %s (expected %s, %s or %s)"
                            % (label, api, expected, KUBELET_API, KUBE_PROXY_API))
            continue
        types, kinds = APIS[api]
        if kind not in kinds:
            close = difflib.get_close_matches(kind, kinds, n=1)
            problems.append("%s: kind %s is not a kind of %s (%s)%s"
                            % (where, kind, api, ", ".join(kinds), " - did you mean %s?" % close[0] if close else ""))
            continue
        seen[kind] = seen.get(kind, 0) + 1
        walk_label = short if api == expected else api
        walk = _Walk(types, walk_label, minor, other if api == expected else None, problems)
        walk.obj(doc, kind, kind, top=True)
    for kind in _ONE_OF_EACH:
        if seen.get(kind, 0) > 1:
            problems.append("%s: %d documents of this kind; kubeadm reads one" % (kind, seen[kind]))
    if seen.get("InitConfiguration") and seen.get("JoinConfiguration"):
        problems.append("InitConfiguration and JoinConfiguration: one file is either for kubeadm init or for "
                        "kubeadm join, not both")
    return problems
