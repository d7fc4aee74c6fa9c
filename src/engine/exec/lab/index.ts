// `kgit lab`: a local lab of SSH nodes in network namespaces, each with its own sshd and podman.
export type {LabNode, LabState} from './lab-state.js'
export {LAB_IMAGE, labNodeCommand, labRoot, labStateDir, loadLabState} from './lab-state.js'
export type {LabUpOptions} from './lab-up.js'
export {labUp, MAX_LAB_NODES} from './lab-up.js'
export {labDown} from './lab-down.js'
export type {LabNodeStatus, LabStatusReport} from './lab-status.js'
export {labStatus} from './lab-status.js'
export {labTransport} from './lab-transport.js'
