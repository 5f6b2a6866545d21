export namespace app {
	
	export class ConnectionInfo {
	    url: string;
	    token: string;
	    starting?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ConnectionInfo(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.url = source["url"];
	        this.token = source["token"];
	        this.starting = source["starting"];
	    }
	}
	export class SettingsView {
	    notifyKontasks: boolean;
	    notifyTurns: boolean;
	    notifyPermissions: boolean;
	    hideToTray: boolean;
	    trayAvailable: boolean;
	    claudePath: string;
	    paused: boolean;
	
	    static createFrom(source: any = {}) {
	        return new SettingsView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.notifyKontasks = source["notifyKontasks"];
	        this.notifyTurns = source["notifyTurns"];
	        this.notifyPermissions = source["notifyPermissions"];
	        this.hideToTray = source["hideToTray"];
	        this.trayAvailable = source["trayAvailable"];
	        this.claudePath = source["claudePath"];
	        this.paused = source["paused"];
	    }
	}

}

export namespace contract {
	
	export class Agent {
	    path?: string;
	    version?: string;
	    source?: string;
	    minVersion: string;
	    error?: string;
	    code?: string;
	    install?: string;
	    searched?: string[];
	
	    static createFrom(source: any = {}) {
	        return new Agent(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.path = source["path"];
	        this.version = source["version"];
	        this.source = source["source"];
	        this.minVersion = source["minVersion"];
	        this.error = source["error"];
	        this.code = source["code"];
	        this.install = source["install"];
	        this.searched = source["searched"];
	    }
	}

}

